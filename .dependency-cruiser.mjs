/**
 * The architecture `npm run arch` (part of `npm test`) holds the code to: dependencies point down
 * the flow of DESIGN.md. No import cycles; engines know nothing of the layers built on them; the
 * event envelope knows nothing but the errors; the library never reaches into tests or benchmarks.
 * Type-only imports count: a layer that needs a type from above it is as tangled as one that calls it.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'An import cycle makes load order matter and layers meaningless.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'engines-import-nothing-above-them',
      comment:
        'Engines are the bottom of the flow: actors, the live feed, testing and conformance build on them.',
      severity: 'error',
      from: { path: '^src/engines/' },
      to: {
        path: [
          '^src/(actors|live|testing|conformance)/',
          '^src/(index|container|sqlite|postgres|testing|conformance)[.]ts$',
        ],
      },
    },
    {
      name: 'leadership-sits-below-actors',
      comment:
        'Leases, fencing and campaigns are what OneActor and TickActor stand on: they use engines, never the layers above.',
      severity: 'error',
      from: { path: '^src/leadership/' },
      to: {
        path: [
          '^src/(actors|testing|conformance)/',
          '^src/(index|sqlite|postgres|testing|conformance)[.]ts$',
        ],
      },
    },
    {
      name: 'events-import-only-errors',
      comment:
        'The event envelope, name rules and JSON safety sit under everything; they may use the typed errors.',
      severity: 'error',
      from: { path: '^src/events/' },
      to: { path: '^src/', pathNot: ['^src/events/', '^src/errors[.]ts$'] },
    },
    {
      name: 'tooling-reads-through-the-engine-interface',
      comment:
        "The omniscient command (and the inspection and inspector it runs) opens stores through the package entries and reads through EventStore (engine.ts), never an engine's internals or the actor layers; a replay marks its private container as a story's (story-clock.ts), so that no actor ticks in it; snapshots rebuild reads a class's policy as actors do (snapshot-settings.ts).",
      severity: 'error',
      from: { path: '^src/(cli|inspection|inspector)/' },
      to: {
        path: ['^src/(actors|live|leadership|snapshots|subscriptions|testing|conformance)/', '^src/engines/'],
        pathNot: [
          '^src/engines/engine[.]ts$',
          '^src/actors/story-clock[.]ts$',
          '^src/snapshots/snapshot-settings[.]ts$',
        ],
      },
    },
    {
      name: 'nothing-imports-the-cli',
      comment:
        'The command sits on top of the library; the library works without it (and without commander).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'only-tooling-imports-inspection-and-the-inspector',
      comment:
        'Reading a store for people (streams, a replay through a user class, state shown as text) and the web inspector serve the command; the library never needs them (nor their web toolkit).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|inspection|inspector)/' },
      to: { path: '^src/(inspection|inspector)/' },
    },
    {
      name: 'inspection-knows-no-front-end',
      comment: 'What the terminal and the browser share imports neither.',
      severity: 'error',
      from: { path: '^src/inspection/' },
      to: { path: '^src/(cli|inspector)/' },
    },
    {
      name: 'library-never-imports-tests-or-benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'every-import-resolves',
      comment: 'An import the cruiser cannot resolve would hide from every rule above.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
  },
};
