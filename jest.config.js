// ESM + TypeScript through ts-jest: execa and chalk are ESM-only, so the whole suite runs as ESM
// (node --experimental-vm-modules, see package.json "test").
const tsJest = ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
};
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/global-setup.js',
    },
    // the facility in network namespaces (make test-multihost; services/multihost/mh.sh up first)
    { ...common, displayName: 'multihost', testMatch: ['<rootDir>/test/multihost/**/*.test.ts'] },
  ],
};
