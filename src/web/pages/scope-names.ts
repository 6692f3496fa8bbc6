import type { DepartmentsService } from '../../modules/departments/departments.service.ts'

/** Display names of departments and windows by id, for showing role scopes. */
export async function scopeNames (departments: DepartmentsService): Promise<Record<string, string>> {
  const [allDepartments, allWindows] = await Promise.all([departments.listDepartments(), departments.listWindows()])
  const names: Record<string, string> = {}
  for (const department of allDepartments) names[department.id] = department.name
  for (const window of allWindows) names[window.id] = window.name
  return names
}
