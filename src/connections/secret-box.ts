/** The secret box moved to src/keys/ with the master keyring; this path keeps older imports working. */
export { createSecretBox, type SecretBox } from '../keys/secret-box.js';
