export { startPlayground, PLAYGROUND_CHANNEL, PLAYGROUND_USERS, type Playground, type PlaygroundOptions } from './playground';
export { startDemoTargets, type DemoTargets } from './demo-targets';
export { seedAlerts, alertmanagerPost, type SeedAlert } from './seed-alerts';
