import { createHash } from 'node:crypto';
import forge from 'node-forge';
import { AppError } from '../../errors/index.js';

export interface OpenedPfx {
  readonly privateKeyPem: string;
  readonly certificateDer: Buffer;
  readonly thumbprintSha1Hex: string;
  readonly thumbprintSha1B64u: string;
  readonly thumbprintSha256B64u: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * Opens a PKCS#12 (PFX) file as an admin exports it from Windows or OpenSSL. Every failure —
 * not a PFX, wrong password, no key, no certificate — is the catalogue's m365.pfx_unreadable
 * with a plain detail; the password never appears in an error.
 */
export function openPfx(pfxBase64: string, password: string): OpenedPfx {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const der = forge.util.decode64(pfxBase64.replace(/\s+/g, ''));
    if (der.length < 32) throw new Error('too short');
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), password);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const detail = /MAC could not be verified|Invalid password/i.test(msg) ? 'the password is wrong' : 'the file is not a PKCS#12 (.pfx) file';
    throw new AppError('m365.pfx_unreadable', { detail });
  }
  const oids = forge.pki.oids as Record<string, string>;
  const bagsOf = (type: string): forge.pkcs12.Bag[] => p12.getBags({ bagType: type })[type] ?? [];
  const keyBags = [...bagsOf(oids['pkcs8ShroudedKeyBag']!), ...bagsOf(oids['keyBag']!)];
  const certBags = bagsOf(oids['certBag']!);
  const key = keyBags.find((b) => b.key)?.key;
  if (!key) throw new AppError('m365.pfx_unreadable', { detail: 'it holds no private key (export it with "Yes, export the private key")' });
  const rsaKey = key as forge.pki.rsa.PrivateKey;
  // The certificate that matches the key (a PFX may also carry its chain).
  const cert = certBags
    .map((b) => b.cert)
    .find((c): c is forge.pki.Certificate => !!c && (c.publicKey as forge.pki.rsa.PublicKey).n?.equals(rsaKey.n));
  if (!cert) throw new AppError('m365.pfx_unreadable', { detail: 'it holds no certificate for its private key' });
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  const sha1 = createHash('sha1').update(der).digest();
  return {
    privateKeyPem: forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(rsaKey))),
    certificateDer: der,
    thumbprintSha1Hex: sha1.toString('hex').toUpperCase(),
    thumbprintSha1B64u: sha1.toString('base64url'),
    thumbprintSha256B64u: createHash('sha256').update(der).digest('base64url'),
    subject: cert.subject.attributes.map((a: { shortName?: string; name?: string; value?: unknown }) => `${a.shortName ?? a.name}=${String(a.value)}`).join(', '),
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
  };
}
