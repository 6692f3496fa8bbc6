import globals from 'globals'
import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['node_modules/**', 'data/**', 'dist/**', 'schema/migrations/**', 'test/screenshots/**', '.tap/**'] }),
  // the small ES modules served to browsers
  { files: ['src/web/assets/**/*.js'], languageOptions: { globals: globals.browser } }
]
