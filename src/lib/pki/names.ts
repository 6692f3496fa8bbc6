/** X.500 names for the certificates OpenHall issues (UTF8String values, so Chinese names survive). */
import forge from 'node-forge'
import { derOf } from './x509-parts.ts'

const ATTRIBUTE_OIDS = {
  C: '2.5.4.6',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  serialNumber: '2.5.4.5'
} as const
export type NameAttribute = keyof typeof ATTRIBUTE_OIDS

/** Builds a Name (RDNSequence) from ordered attributes; country and serialNumber use PrintableString as X.520 requires. */
export function encodeName (attributes: Array<[NameAttribute, string]>): Uint8Array {
  const { create, Class, Type, oidToDer } = forge.asn1
  return derOf(create(Class.UNIVERSAL, Type.SEQUENCE, true, attributes.map(([name, value]) =>
    create(Class.UNIVERSAL, Type.SET, true, [
      create(Class.UNIVERSAL, Type.SEQUENCE, true, [
        create(Class.UNIVERSAL, Type.OID, false, oidToDer(ATTRIBUTE_OIDS[name]).getBytes()),
        name === 'C' || name === 'serialNumber'
          ? create(Class.UNIVERSAL, Type.PRINTABLESTRING, false, value)
          : create(Class.UNIVERSAL, Type.UTF8, false, forge.util.encodeUtf8(value))
      ])
    ]))))
}
