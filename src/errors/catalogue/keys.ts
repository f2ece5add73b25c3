import type { ErrorDefinition } from '../definition.js';

/** The master keyring and its rotation (`syncwarden keys …`). (Master keys) */
export const keyErrors = {
  'keys.invalid': {
    title: 'Master key not usable',
    cause: 'The master key from {source} cannot be used: {detail}.',
    resolution: 'Give 32 random bytes as 64 hex characters or base64 (`syncwarden keys generate` prints one), one key per line in a keyring file, or comma-separated in SYNCWARDEN_MASTER_KEY, then start again.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 422,
  },
  'keys.config_conflict': {
    title: 'Two master key settings',
    cause: 'Both SYNCWARDEN_MASTER_KEY and SYNCWARDEN_MASTER_KEY_FILE are set, so it is not clear which keys seal new secrets.',
    resolution: 'Keep one of the two settings: SYNCWARDEN_MASTER_KEY_FILE (a keyring file every process reads) is the one to use for a scaled-out installation.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 422,
  },
  'keys.keyring_not_writable': {
    title: 'Cannot add a key to this keyring',
    cause: 'The keyring comes from {source}, which Syncwarden cannot change, so `keys rotate` cannot add the new key itself.',
    resolution: 'Run `syncwarden keys generate`, put the new key first in the keyring of every process (keep the old key after it), restart them, then run `syncwarden keys rotate --no-new-key`.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 409,
  },
  'keys.holders_missing_key': {
    title: 'Some processes do not have the new key',
    cause: '{count} running Syncwarden process(es) cannot open secrets sealed with key {keyId} yet: {processes}. Re-encrypting now would lock them out of the credentials.',
    resolution: 'Give those processes the same keyring (the SYNCWARDEN_MASTER_KEY_FILE contents or the SYNCWARDEN_MASTER_KEY list, new key first) and restart them, or wait until they reloaded their key file; then run `syncwarden keys rotate` again: it resumes.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 409,
  },
  'keys.rotation_running': {
    title: 'A key rotation is already running',
    cause: 'Rotation {id} to key {keyId} is running in process {owner} (last progress {updatedAt}).',
    resolution: 'Wait for it to finish (`syncwarden keys status` shows its progress). If that process died, run `syncwarden keys rotate` again once it is gone: the rotation resumes.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 409,
  },
  'keys.key_in_use': {
    title: 'Key still in use',
    cause: 'Key {keyId} still opens {count} stored secret(s) ({where}), so it cannot be retired.',
    resolution: 'Run `syncwarden keys rotate --no-new-key` to re-encrypt them under the primary key, then retire the key again.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 409,
  },
  'keys.key_is_primary': {
    title: 'Key still seals new secrets',
    cause: 'Key {keyId} is the primary key of {where}: new secrets are sealed with it.',
    resolution: 'Rotate first (`syncwarden keys rotate`), make sure every process has the new key first in its keyring, then retire the old key.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 409,
  },
  'keys.key_unknown': {
    title: 'No such key in the keyring',
    cause: 'The keyring of this process ({source}) has no key with id {keyId}.',
    resolution: 'Check the id with `syncwarden keys status`; a key already retired is no longer listed.',
    scope: 'request', kind: 'not_found', retry: 'never', http: 404,
  },
} as const satisfies Record<string, ErrorDefinition>;
