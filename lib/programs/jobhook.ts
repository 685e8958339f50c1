import { notYet } from './not-yet.js';

export const main = notYet('jobhook');
