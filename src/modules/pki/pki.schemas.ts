import { Type, type Static } from 'typebox'
import { CERTIFICATE_PROFILES } from '../../../schema/index.ts'
import { Nullable, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'

const Pem = (label: string) => Type.String({ minLength: 40, maxLength: 65_536, description: `PEM (-----BEGIN ${label}-----)` })
const Base64 = (maxLength: number, description: string) => Type.String({ minLength: 4, maxLength, pattern: '^[A-Za-z0-9+/=\\s]+$', description })

export const CaInfoSchema = Type.Object({
  root: Type.String({ description: 'trust anchor (PEM)' }),
  issuing: Type.String({ description: 'issuing CA (PEM)' }),
  platformSigner: Type.String({ description: 'the certificate that signs receipts and records (PEM)' }),
  crlUrl: Type.String()
})

export const CertificateSchema = Type.Object({
  id: Uuid,
  profile: Type.Enum(CERTIFICATE_PROFILES),
  source: Type.Enum(['issued', 'registered']),
  accountId: Nullable(Uuid),
  departmentId: Nullable(Uuid),
  fingerprint: Type.String({ description: 'SHA-256 of the DER, lowercase hex' }),
  serialHex: Type.String(),
  subject: Type.String(),
  notBefore: Timestamp,
  notAfter: Timestamp,
  revokedAt: Nullable(Timestamp),
  certificatePem: Type.String()
})
export type CertificateView = Static<typeof CertificateSchema>

export const RequestCertificateSchema = StrictObject({
  csr: Pem('CERTIFICATE REQUEST'),
  profile: Type.Enum(CERTIFICATE_PROFILES),
  departmentId: Type.Optional(Uuid)
})
export type RequestCertificate = Static<typeof RequestCertificateSchema>

export const RevokeCertificateSchema = StrictObject({
  reason: Type.Enum(['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation'])
})

export const ChallengeSchema = Type.Object({
  challengeId: Uuid,
  challenge: Type.String({ description: 'sign its UTF-8 bytes (CMS SignedData, attached or detached)' }),
  expiresAt: Timestamp
})

export const SignedChallengeSchema = StrictObject({
  challengeId: Uuid,
  signature: Base64(200_000, 'CMS SignedData (DER, base64) over the challenge')
})
export type SignedChallenge = Static<typeof SignedChallengeSchema>

export const AuthoritySchema = Type.Object({
  fingerprint: Type.String(),
  role: Type.Enum(['root', 'intermediate']),
  subject: Type.String(),
  notAfter: Timestamp,
  addedAt: Timestamp,
  active: Type.Boolean()
})

export const AddAuthoritySchema = StrictObject({ certificate: Pem('CERTIFICATE'), role: Type.Enum(['root', 'intermediate']) })
export type AddAuthority = Static<typeof AddAuthoritySchema>

export const ImportCrlSchema = StrictObject({ crl: Type.String({ minLength: 40, maxLength: 10_000_000, description: 'PEM (X509 CRL) or base64 DER' }) })

export const RevocationListSchema = Type.Object({
  id: Uuid,
  issuerFingerprint: Type.String(),
  thisUpdate: Timestamp,
  nextUpdate: Nullable(Timestamp),
  revokedCount: Type.Integer()
})

export const VerifySignatureSchema = StrictObject({
  signature: Base64(10_000_000, 'CMS SignedData (DER, base64)'),
  content: Type.Optional(Base64(10_000_000, 'the signed content (base64), for detached signatures'))
})

export const VerificationSchema = Type.Object({
  valid: Type.Boolean(),
  code: Nullable(Type.String({ description: 'why not, when not valid' })),
  detail: Nullable(Type.String()),
  signer: Nullable(Type.Object({ subject: Type.String(), fingerprint: Type.String(), serialHex: Type.String(), notAfter: Timestamp })),
  signingTime: Nullable(Timestamp),
  content: Nullable(Type.String({ description: 'the signed content (base64) for attached signatures' }))
})

export const CertificateParams = StrictObject({ certificateId: Uuid })
export const AuthorityParams = StrictObject({ fingerprint: Type.String({ pattern: '^[0-9a-f]{64}$' }) })
export const CertificateListQuery = StrictObject({ accountId: Type.Optional(Uuid) })
