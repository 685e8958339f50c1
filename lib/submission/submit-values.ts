/**
 * Values our submit files take from configuration and the database, checked once for every job kind:
 * absolute paths without white space, quotes, `$` or anything else that means something to the submit
 * language or to a ClassAd string; login names; docker repository names.
 */
import { describeValue } from '../cli/ids.js';
import { ValidationError } from '../errors/index.js';

export const OWNER_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
export const SUBMIT_PATH_RE = /^\/[A-Za-z0-9._+/-]*$/;
export const DOCKER_IMAGE_RE = /^[a-z0-9][a-z0-9._/-]*(?::[A-Za-z0-9._-]+)?$/;

export function checkSubmitValue(re: RegExp, value: string, what: string): string {
  if (!re.test(value)) throw new ValidationError(`invalid ${what} for a submit file: ${describeValue(value)}`);
  return value;
}
