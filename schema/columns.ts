import { customType } from 'drizzle-orm/pg-core'

/** Binary columns (certificates, CRLs, CMS structures) as Buffers. */
export const bytea = customType<{ data: Buffer, driverData: Buffer }>({
  dataType () {
    return 'bytea'
  }
})
