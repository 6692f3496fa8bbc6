/** Words shared by the pool's pages and the expert's own page. */
import type { ExpertView, ProfileChangeInput } from '../../modules/experts/experts.schemas.ts'
import type { PageContext } from '../render.ts'

/** A proposed change in words, for the review queue, the confirmation and the expert's own page. */
export function describeChange (t: PageContext['t'], change: ProfileChangeInput, expert: Pick<ExpertView, 'relations'>): string {
  switch (change.kind) {
    case 'employment':
      return t('experts.change.employment', { name: change.employment.organisationName, code: change.employment.creditCode, from: change.employment.fromDate })
    case 'relation_added':
      return t('experts.change.relationAdded', { kind: t(`experts.relationKind.${change.relation.kind}`), name: change.relation.organisationName, code: change.relation.creditCode })
    case 'relation_ended': {
      const relation = expert.relations.find((candidate) => candidate.id === change.relationId)
      return t('experts.change.relationEnded', { name: relation?.organisationName ?? '—' })
    }
  }
}
