import type { ErrorDefinition } from '../definition.js';

/** Sign-in, sessions, roles, API tokens and the HTTP front door (issue 12). (Sign-in and roles) */
export const authErrors = {
  'auth.required': {
    title: 'Sign-in required',
    cause: 'This request carries no valid session or API token (it may have expired or been signed out).',
    resolution: 'Sign in again in the browser, or send an API token as `Authorization: Bearer <token>` (`syncwarden tokens create` or the API tokens page makes one).',
    scope: 'request', kind: 'permission', retry: 'never', http: 401,
  },
  'auth.forbidden': {
    title: 'Not allowed for your role',
    cause: 'Your role ({role}) does not include the permission {permission} that this action needs.',
    resolution: 'Ask an owner or admin of this tenant to give you a role that includes it (Users and roles page), or use an API token made with that role.',
    scope: 'request', kind: 'permission', retry: 'never', http: 403,
  },
  'auth.invalid_credentials': {
    title: 'Wrong email or password',
    cause: 'The email and password do not match an active account.',
    resolution: 'Check the email and password. An owner can send you a new sign-in link (`syncwarden users reset-password <email>`). Several failures in a row lock the account for a while.',
    scope: 'request', kind: 'permission', retry: 'never', http: 401,
  },
  'auth.throttled': {
    title: 'Too many sign-in attempts',
    cause: 'Too many failed sign-ins for {subject}; sign-in is refused until {until} without checking the password.',
    resolution: 'Wait until {until} and try again. If you did not make these attempts, tell an owner: the audit log lists every failed sign-in with its address.',
    scope: 'request', kind: 'throttle', retry: 'retry_after', http: 429,
  },
  'auth.sso_throttled': {
    title: 'Too many single sign-on starts',
    cause: 'Single sign-on was started more than {limit} times from {address} in {minutes} minutes; starts from it are refused until {until}.',
    resolution: 'Wait until {until} and sign in again. A script or a browser extension reloading the sign-in page can cause this; the audit log names the address.',
    scope: 'request', kind: 'throttle', retry: 'retry_after', http: 429,
  },
  'auth.link_invalid': {
    title: 'Sign-in link not valid',
    cause: 'This sign-in link was already used, has expired, or was never issued.',
    resolution: 'Ask an owner for a new link (`syncwarden users reset-password <email>` prints one), or run it yourself on the server.',
    scope: 'request', kind: 'permission', retry: 'never', http: 401,
  },
  'auth.password_weak': {
    title: 'Password not accepted',
    cause: 'The password {reason}.',
    resolution: 'Choose a longer passphrase (at least 12 characters, up to 128) that is not a common password and does not contain your email.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 422,
  },
  'auth.csrf': {
    title: 'Request not trusted',
    cause: 'This change came without the page\'s anti-forgery token or from another origin ({origin}), so it may have been sent by another site in your browser.',
    resolution: 'Reload Syncwarden and try again from its own pages. Scripts should use an API token instead of the browser\'s cookies.',
    scope: 'request', kind: 'permission', retry: 'never', http: 403,
  },
  'auth.role_too_high': {
    title: 'Role above your own',
    cause: 'You cannot give the role {role}: it is above your own role ({own}).',
    resolution: 'Choose a role at most your own, or ask an owner.',
    scope: 'request', kind: 'permission', retry: 'never', http: 403,
  },
  'auth.last_owner': {
    title: 'Last owner',
    cause: 'This would leave tenant {tenant} without an active owner.',
    resolution: 'Make another user owner first, then change or disable this one.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 409,
  },
  'auth.user_exists': {
    title: 'User already exists',
    cause: 'A user with the email {email} already exists.',
    resolution: 'Change that user\'s role instead, or choose another email.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 409,
  },
  'auth.consent_state_invalid': {
    title: 'Admin-consent answer not trusted',
    cause: 'The provider\'s answer came back with a state that is missing, expired, forged or started in another sign-in session ({reason}); nothing was recorded.',
    resolution: 'Open the admin-consent link again from the connection\'s card while signed in, and complete it within an hour in the same browser.',
    scope: 'request', kind: 'permission', retry: 'never', http: 400,
  },
  'auth.sso_not_configured': {
    title: 'Single sign-on not available',
    cause: 'Sign-in with {provider} is not set up or not enabled for this organisation.',
    resolution: 'Sign in with your email and password, or ask an admin to enable {provider} single sign-on (Users and roles, Single sign-on).',
    scope: 'request', kind: 'configuration', retry: 'never', http: 404,
  },
  'auth.sso_state_invalid': {
    title: 'Sign-in answer not trusted',
    cause: 'The identity provider\'s answer came back with a state that is missing, expired, already used or started in another browser ({reason}); nobody was signed in.',
    resolution: 'Start the sign-in again from the sign-in page, in the same browser, and complete it within ten minutes.',
    scope: 'request', kind: 'permission', retry: 'never', http: 400,
  },
  'auth.sso_provider_error': {
    title: 'Identity provider refused the sign-in',
    cause: '{provider} answered the sign-in with an error: {detail}.',
    resolution: 'Try again. If it keeps failing, an admin should check the {provider} single sign-on settings (client id, client secret, directory and redirect URI registered at the provider).',
    scope: 'request', kind: 'configuration', retry: 'never', http: 502,
  },
  'auth.sso_token_invalid': {
    title: 'Identity token not accepted',
    cause: 'The id_token from {provider} failed a check ({reason}); nobody was signed in.',
    resolution: 'Try again. If it keeps failing, an admin should check that the {provider} settings (client id, directory or hosted domain, authority) match the app registered at the provider.',
    scope: 'request', kind: 'permission', retry: 'never', http: 401,
  },
  'auth.sso_no_account': {
    title: 'No Syncwarden account for this identity',
    cause: '{provider} signed in {email}, but that person has no active Syncwarden account with a role in this organisation.',
    resolution: 'Ask an admin to add {email} as a user with a role, or to enable the account again.',
    scope: 'request', kind: 'permission', retry: 'never', http: 403,
  },
  'auth.sso_required': {
    title: 'Sign in with single sign-on',
    cause: 'This organisation requires single sign-on: password sign-in is turned off for its users.',
    resolution: 'Use Sign in with Microsoft or Sign in with Google. An owner locked out can get a one-time link on the server: `syncwarden users reset-password <email>`.',
    scope: 'request', kind: 'permission', retry: 'never', http: 403,
  },
  'auth.sso_settings_invalid': {
    title: 'Single sign-on settings not accepted',
    cause: 'The settings were refused: {detail}.',
    resolution: 'Fill in the client id and client secret of the app registered at the provider (and the directory id for Microsoft) before enabling it, and enable a provider before requiring single sign-on.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 400,
  },
  'cli.local_only': {
    title: 'Command needs the data folder',
    cause: '`syncwarden {command}` works on the local data folder or database, but SYNCWARDEN_URL points the CLI at a remote server ({url}).',
    resolution: 'Run it on the server itself (unset SYNCWARDEN_URL), or use a command that works remotely: users, tokens, api (see `syncwarden --help`).',
    scope: 'request', kind: 'configuration', retry: 'never', http: 400,
  },
  'cli.remote_failed': {
    title: 'Remote server unreachable',
    cause: 'The CLI could not reach {url}: {detail}.',
    resolution: 'Check SYNCWARDEN_URL (the address people use for Syncwarden, e.g. https://syncwarden.example.com) and that the server is running.',
    scope: 'request', kind: 'transient', retry: 'backoff', http: 502,
  },
  'http.host_not_allowed': {
    title: 'Unknown host name',
    cause: 'The request was addressed to {host}, which is not this installation\'s public address ({expected}).',
    resolution: 'Open Syncwarden at {expected}. If that is the wrong address, set SYNCWARDEN_PUBLIC_URL to the address people use and restart.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 421,
  },
} as const satisfies Record<string, ErrorDefinition>;
