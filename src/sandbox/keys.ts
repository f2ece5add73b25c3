import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

/** An RSA key pair as PEM (PKCS#8 private, SPKI public). */
export interface KeyPairPem {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

export function newRsaKeyPair(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

export interface SelfSignedCertificate extends KeyPairPem {
  readonly certificatePem: string;
  readonly certificateDer: Buffer;
  readonly notBefore: string;
  readonly notAfter: string;
}

/** A self-signed X.509 certificate, as an admin makes one for an Entra app registration. */
export function selfSignedCertificate(commonName: string, notBefore: Date, notAfter: Date, keys: KeyPairPem = newRsaKeyPair()): SelfSignedCertificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const attrs = [{ name: 'commonName', value: commonName }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  const certificatePem = forge.pki.certificateToPem(cert);
  const certificateDer = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { ...keys, certificatePem, certificateDer, notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString() };
}

/** A PKCS#12 (PFX) file holding the key and certificate, base64, protected by `password`. */
export function toPfxBase64(cert: SelfSignedCertificate, password: string): string {
  const asn1 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(cert.privateKeyPem), [forge.pki.certificateFromPem(cert.certificatePem)], password, {
    algorithm: '3des',
  });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary').toString('base64');
}

export function thumbprints(der: Buffer): { sha1Hex: string; sha1B64u: string; sha256B64u: string } {
  const sha1 = createHash('sha1').update(der).digest();
  return {
    sha1Hex: sha1.toString('hex').toUpperCase(),
    sha1B64u: sha1.toString('base64url'),
    sha256B64u: createHash('sha256').update(der).digest('base64url'),
  };
}

/**
 * Keeps generated credentials stable across restarts when the sandbox has a state directory
 * (the demo's stored connections must keep working); memory only otherwise.
 */
export function persisted<T>(stateDir: string | undefined, name: string, make: () => T): T {
  if (!stateDir) return make();
  const file = join(stateDir, `${name}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as T;
  const value = make();
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, JSON.stringify(value, (_k, v) => (Buffer.isBuffer(v) ? undefined : v), 2), { mode: 0o600 });
  return value;
}
