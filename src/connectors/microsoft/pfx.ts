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
  const bytes = forge.util.decode64(pfxBase64.replace(/\s+/g, ''));
  let asn1: forge.asn1.Asn1;
  try {
    if (bytes.length < 32) throw new Error('too short');
    asn1 = forge.asn1.fromDer(bytes);
  } catch {
    // A PFX starts SEQUENCE { INTEGER 3, … }: with that start, the file was one and is damaged.
    throw new AppError('m365.pfx_unreadable', { detail: looksLikePfx(bytes) ? 'the file is damaged (truncated or altered); export it again' : 'the file is not a PKCS#12 (.pfx) file' });
  }
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, password);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (!/MAC could not be verified|Invalid password/i.test(msg)) throw new AppError('m365.pfx_unreadable', { detail: looksLikePfx(bytes) ? 'the file is damaged (its contents cannot be read); export it again' : 'the file is not a PKCS#12 (.pfx) file' });
    // The integrity check (MAC) fails for a wrong password and for a damaged file alike. The
    // private key is encrypted with the same password on its own: when it opens, the password
    // is right and the file is damaged.
    const opens = passwordOpensKey(asn1, password);
    throw new AppError('m365.pfx_unreadable', {
      detail: opens === true ? 'the file is damaged: the password opens its private key but its integrity check (MAC) fails; export it again' : opens === false ? 'the password is wrong' : 'the password is wrong, or the file is damaged',
    });
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

function looksLikePfx(der: string): boolean {
  // SEQUENCE (0x30), a length of 1–5 bytes, then INTEGER 3 (02 01 03).
  return der.charCodeAt(0) === 0x30 && der.slice(2, 9).includes('\x02\x01\x03');
}

const OID_DATA = '1.2.840.113549.1.7.1';
const OID_SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';

/**
 * Whether `password` decrypts the PFX's shrouded private key bag (true / false), or null when
 * no such bag can be found without the MAC (then nothing can be told apart).
 */
function passwordOpensKey(pfx: forge.asn1.Asn1, password: string): boolean | null {
  try {
    const authSafe = children(pfx)[1];
    if (!authSafe || oidOf(children(authSafe)[0]) !== OID_DATA) return null;
    const contentInfos = children(forge.asn1.fromDer(octets(children(children(authSafe)[1]!)[0]!)));
    for (const ci of contentInfos) {
      if (oidOf(children(ci)[0]) !== OID_DATA) continue; // encrypted containers hold certificates
      const bags = children(forge.asn1.fromDer(octets(children(children(ci)[1]!)[0]!)));
      for (const bag of bags) {
        if (oidOf(children(bag)[0]) !== OID_SHROUDED_KEY_BAG) continue;
        const encrypted = children(children(bag)[1]!)[0]!;
        return forge.pki.decryptPrivateKeyInfo(encrypted, password) !== null;
      }
    }
    return null;
  } catch {
    return false;
  }
}

function children(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  return node && Array.isArray(node.value) ? (node.value as forge.asn1.Asn1[]) : [];
}

function oidOf(node: forge.asn1.Asn1 | undefined): string | null {
  return node && typeof node.value === 'string' && node.type === forge.asn1.Type.OID ? forge.asn1.derToOid(node.value) : null;
}

/** An OCTET STRING's bytes, also when it is constructed (BER, as some exporters write). */
function octets(node: forge.asn1.Asn1): string {
  return typeof node.value === 'string' ? node.value : children(node).map(octets).join('');
}
