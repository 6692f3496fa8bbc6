import t from 'tap'
import { generatePassword, hashPassword, isStrongPassword, verifyPassword } from '../../src/lib/password.ts'

t.test('scrypt hashes verify only the right password and carry their parameters', async (t) => {
  const hash = await hashPassword('Correct-Horse-9-Battery')
  t.match(hash, /^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/)
  t.ok(await verifyPassword('Correct-Horse-9-Battery', hash))
  t.notOk(await verifyPassword('correct-horse-9-battery', hash))
  t.not(await hashPassword('Correct-Horse-9-Battery'), hash, 'salted')
  t.notOk(await verifyPassword('x', 'md5$abc'), 'unknown schemes never verify')
})

t.test('generated one-time passwords satisfy the policy', async (t) => {
  for (let i = 0; i < 20; i++) t.ok(isStrongPassword(generatePassword()))
  t.notOk(isStrongPassword('alllowercaseletters'))
  t.notOk(isStrongPassword('Short1!'))
})
