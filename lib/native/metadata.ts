/**
 * The SCARFmetaData values (legacy doNativeSCARF writes them as a 15-line file that the C parser
 * reads back). Pure: the values, reading such a file (the benchmarks and tests read the fixtures'), the
 * legacy date format. launch_viewer hands the values to the converter directly, no file.
 */

export interface ScarfMetadata {
  packageName: string;
  toolName: string;
  platformName: string;
  startDate: string;
  packageVersion: string;
  toolVersion: string;
  platformVersion: string;
  endDate: string;
  reportTime: string;
}

const ORDER = [
  'packageName', 'toolName', 'platformName', 'startDate', 'packageVersion', 'toolVersion', 'platformVersion',
  'endDate', 'reportTime',
] as const satisfies readonly (keyof ScarfMetadata)[];

/**
 * Read the file like the C parser: getline per value, one trailing \n removed (\r kept); a value
 * past the end of the file becomes "" and adds a warning line.
 */
export function parseScarfMetadata(text: string): { metadata: ScarfMetadata; warnings: string[] } {
  const values: string[] = [];
  const warnings: string[] = [];
  let pos = 0;
  for (let i = 0; i < ORDER.length; i++) {
    if (pos >= text.length) {
      values.push('');
      warnings.push('[ERROR]: Error reading the SCARF metadata');
      continue;
    }
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl;
    values.push(text.slice(pos, end));
    pos = nl < 0 ? text.length : nl + 1;
  }
  const m = {} as Record<keyof ScarfMetadata, string>;
  ORDER.forEach((k, i) => {
    m[k] = values[i] ?? '';
  });
  return { metadata: m, warnings };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Perl `scalar localtime` / C ctime() without the newline: `Thu Dec  7 16:55:33 2017`. */
export function ctime(d: Date = new Date()): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(
    d.getMinutes(),
  )}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}
