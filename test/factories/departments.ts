import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'

const actor = (accountId: string) => ({
  principal: {
    accountId,
    username: 'factory',
    displayName: 'factory',
    kind: 'person' as const,
    grants: [{ role: 'hall_admin' as const, scopeType: 'hall' as const, scopeId: null }],
    sessionId: '00000000-0000-0000-0000-000000000000',
    authMethod: 'password' as const,
    mustChangePassword: false
  },
  requestId: 'factory'
})

export async function createDepartment (app: FastifyInstance, adminId: string, name = '县市场监督管理局') {
  return app.services.departments.createDepartment(actor(adminId), { code: `D${randomBytes(3).toString('hex').toUpperCase()}`, name })
}

export async function createWindow (app: FastifyInstance, adminId: string, departmentId: string | null, kind: 'department' | 'agency' | 'major_project' = 'department') {
  return app.services.departments.createWindow(actor(adminId), {
    code: `W${randomBytes(3).toString('hex').toUpperCase()}`, name: `窗口 ${kind}`, kind, departmentId
  })
}
