/** Pure rules of certification: who gets which certificate, with which name and key usages. */
import type { KeyUsage } from '../../lib/pki/issuance.ts'
import type { NameAttribute } from '../../lib/pki/names.ts'

export type CertificateProfile = 'person' | 'organisation' | 'seal'

export interface SubjectFacts {
  account: { id: string, kind: 'person' | 'organisation', displayName: string, creditCode: string | null }
  hallName: string
  department?: { name: string }
}

/** Why this account may not hold a certificate of this profile, or null. */
export function profileProblem (profile: CertificateProfile, kind: 'person' | 'organisation'): string | null {
  if (profile === 'person' && kind !== 'person') return 'organisation accounts request an organisation certificate'
  if (profile === 'organisation' && kind !== 'organisation') return 'a person requests a person certificate'
  return null
}

/** The subject the platform certifies: the identity it knows, never what the CSR claims. */
export function subjectFor (profile: CertificateProfile, facts: SubjectFacts): Array<[NameAttribute, string]> {
  switch (profile) {
    case 'person':
      return [['C', 'CN'], ['serialNumber', facts.account.id], ['CN', facts.account.displayName]]
    case 'organisation':
      return [['C', 'CN'], ['O', facts.account.displayName], ['serialNumber', facts.account.creditCode ?? facts.account.id], ['CN', facts.account.displayName]]
    case 'seal':
      return [['C', 'CN'], ['O', facts.hallName], ['OU', facts.department!.name], ['CN', `${facts.department!.name} 电子印章`]]
  }
}

/** RSA keys also receive envelopes (the bidder opens its own bid); EC keys only sign. */
export function keyUsagesFor (keyType: 'rsa' | 'ec'): KeyUsage[] {
  return keyType === 'rsa' ? ['digitalSignature', 'nonRepudiation', 'keyEncipherment'] : ['digitalSignature', 'nonRepudiation']
}

/** An organisation's certificate from a commercial CA must name the organisation's credit code. */
export function subjectNamesCreditCode (subject: string, creditCode: string): boolean {
  return subject.toUpperCase().includes(creditCode.toUpperCase())
}

export const CHALLENGE_PREFIX = 'openhall-sign-in:'
export const CHALLENGE_MINUTES = 5
