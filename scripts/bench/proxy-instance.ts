/**
 * One OpenHall instance of the proxy benchmark, in its own process: the app exactly as
 * src/server.ts builds it (configuration from the environment), plus the bench-only routes.
 * Stops on SIGTERM.
 */
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { benchRoutes } from './bench-routes.ts'

const config = loadConfig(process.env)
const app = await buildApp(config)
await app.register(benchRoutes)
await app.listen({ port: config.port, host: config.host })
process.on('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
