import { Type } from 'typebox'

export const PrecheckReportSchema = Type.Object({
  tenderId: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  commitment: Type.String(),
  chunks: Type.Integer(),
  sealedAt: Type.String(),
  recipients: Type.Integer({ description: 'how many certificates can open the content key' }),
  signer: Type.Object({ subject: Type.String(), fingerprint: Type.String(), serialHex: Type.String() })
})
