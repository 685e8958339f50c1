/**
 * The per-tool SCARF attribute lists the legacy C parser reads at run time from
 * /opt/swamp/etc/Scarf_ToolList.json (mirswamp/deployment: swamp/config/Scarf_ToolList.json,
 * Apache License 2.0, SWAMP project). Embedded as a module so the bundled program needs no file
 * next to it. Key order matters (tool resolution stops at the `generic` key, see tool-list.ts).
 */
export const SCARF_TOOL_LIST = {
  'Generic-Toollist': ['error-prone', 'checkstyle', 'Pylint'],
  ScarfAttributes: {
    Android: ['bugGroup', 'bugCode', 'locations', 'bugMessage', 'resolutionSuggestion'],
    Dawn: ['bugCode', 'bugSeverity', 'bugMessage', 'resolutionSuggestion'],
    Archie: ['bugSeverity', 'bugGroup', 'bugCode', 'locations', 'bugMessage'],
    Clang: ['bugGroup', 'bugCode', 'locations', 'bugMessage'],
    Findbugs: ['bugSeverity', 'bugGroup', 'bugCode', 'locations', 'bugMessage', 'resolutionSuggestion'],
    PMD: ['bugSeverity', 'bugGroup', 'bugCode', 'locations', 'bugMessage'],
    PHPMD: ['bugSeverity', 'bugGroup', 'bugCode', 'locations', 'bugMessage'],
    CodeSonar: ['bugGroup', 'bugCode', 'locations', 'bugMessage'],
    gcc: ['bugGroup', 'bugCode', 'locations', 'bugMessage'],
    cppcheck: ['bugGroup', 'bugCode', 'locations', 'bugMessage'],
    RevealDroid: ['bugGroup', 'bugCode', 'locations', 'bugMessage'],
    SpotBugs: ['bugSeverity', 'bugGroup', 'bugCode', 'locations', 'bugMessage', 'resolutionSuggestion'],
    generic: ['bugGroup', 'bugCode', 'locations', 'bugMessage'],
    default: [
      'BugId', 'cweIds', 'cweIdsCount', 'cweIdsSize', 'methodsCount', 'methodsSize', 'locationsCount',
      'locationsSize', 'className', 'bugSeverity', 'bugRank', 'resolutionSuggestion', 'bugMessage', 'bugCode',
      'bugGroup', 'assessmentReportFile', 'buildId', 'instanceLocation', 'methods', 'locations',
    ],
  },
} as const satisfies ToolListShape;

export interface ToolListShape {
  'Generic-Toollist': readonly string[];
  ScarfAttributes: Readonly<Record<string, readonly string[]>>;
}
