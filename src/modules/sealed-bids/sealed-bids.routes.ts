import type { MultipartFile } from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { readAtMost } from '../../lib/bytes.ts'
import { problems } from '../../lib/http-schemas.ts'
import { PackagePartMissing } from './sealed-bids.errors.ts'
import { PrecheckReportSchema } from './sealed-bids.schemas.ts'
import type { SealedBidsService } from './sealed-bids.service.ts'

const MAX_SIGNATURE_BYTES = 256 * 1024

export const sealedBidsRoutes: FastifyPluginAsyncTypebox<{ service: SealedBidsService }> = async (app, { service }) => {
  app.post('/sealed-bids/precheck', {
    config: { policy: 'authenticated' },
    schema: {
      tags: ['sealed bids'],
      operationId: 'precheckSealedBid',
      summary: 'Check a sealed package and its outer signature exactly as submission will (nothing is stored)',
      description: 'multipart/form-data: `signature` (the .p7s, first) and `package` (the .ohsb), streamed with bounded memory.',
      consumes: ['multipart/form-data'],
      response: { 200: PrecheckReportSchema, ...problems(401, 413, 415, 422) }
    }
  }, async (request) => {
    let signature: Uint8Array | undefined
    let report: Awaited<ReturnType<SealedBidsService['precheck']>> | undefined
    for await (const part of request.parts({ limits: { files: 2, fields: 0 } })) {
      if (part.type !== 'file') continue
      const file = part as MultipartFile
      if (file.fieldname === 'signature') {
        signature = await readAtMost(file.file, MAX_SIGNATURE_BYTES) ?? undefined
        if (!signature) throw new PackagePartMissing('signature of at most 256 KiB')
      } else if (file.fieldname === 'package') {
        if (!signature) throw new PackagePartMissing('signature (before the package)')
        report = await service.precheck({ bytes: file.file, outerSignature: signature })
      } else {
        file.file.resume()
      }
    }
    if (!report) throw new PackagePartMissing('package')
    const { inspection, signer } = report
    return {
      tenderId: inspection.header.tenderId,
      size: inspection.size,
      sha256: inspection.sha256,
      commitment: inspection.header.commitment,
      chunks: inspection.chunks,
      sealedAt: inspection.header.sealedAt,
      recipients: inspection.recipients.length,
      signer: { subject: signer.subject, fingerprint: signer.fingerprint, serialHex: signer.serialHex }
    }
  })
}
