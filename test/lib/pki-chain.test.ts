import { X509Certificate } from 'node:crypto'
import t from 'tap'
import { createPathValidator } from '../../src/lib/pki/chain.ts'
import { issueCertificate, readCrl, spkiOf } from '../../src/lib/pki/issuance.ts'
import { encodeName } from '../../src/lib/pki/names.ts'
import { certificateParts, serialToHex } from '../../src/lib/pki/x509-parts.ts'
import { createAuthority, rsaKey } from '../support/pki.ts'

t.test('one spelling of a serial everywhere, including serials whose first byte is below 0x10', async (t) => {
  t.equal(serialToHex(Uint8Array.of(0x0a, 0x01)), 'a01')
  t.equal(serialToHex(Uint8Array.of(0x00, 0x8f)), '8f')
  t.equal(serialToHex(Uint8Array.of(0)), '0')
  const authority = createAuthority('Serial CA')
  const key = rsaKey()
  const leaf = issueCertificate({
    serial: Uint8Array.of(0x0a, 0x1b, 0x2c, 0x3d),
    subjectDer: encodeName([['CN', 'low serial']]),
    spkiDer: spkiOf(key),
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keyUsage: ['digitalSignature']
  }, authority.issuer)
  const parts = certificateParts(leaf)
  t.equal(parts.serialHex, 'a1b2c3d')
  t.equal(new X509Certificate(leaf).serialNumber.toLowerCase().replace(/^0+/, ''), parts.serialHex, 'as node spells it')
  t.same(readCrl(authority.crl([parts.serialBytes])).revokedSerials, [parts.serialHex], 'as the CRL reader spells it')

  const revoked = new Set<string>()
  const verifyPath = createPathValidator(() => ({
    anchors: [new X509Certificate(authority.root)],
    intermediates: [new X509Certificate(authority.intermediate)],
    isRevoked: (_issuer, serial) => revoked.has(serial)
  }))
  t.equal(verifyPath(leaf, [], new Date()).chain.length, 3)
  revoked.add(parts.serialHex)
  t.throws(() => verifyPath(leaf, [], new Date()), { code: 'CERTIFICATE_REVOKED' }, 'revocation is found whatever the serial looks like')
  t.throws(() => verifyPath(leaf, [], new Date(Date.now() + 2 * 86_400_000)), { code: 'CERTIFICATE_EXPIRED' })
  t.throws(() => createPathValidator(() => ({ anchors: [], intermediates: [], isRevoked: () => false }))(leaf, [authority.intermediate], new Date()), { code: 'CERTIFICATE_UNTRUSTED' })
})
