/** Test helper: event logs of XmlTokenizer and of saxes for the same document, for differential tests. */
import { SaxesParser } from 'saxes';
import { XmlTokenizer, type XmlHandler, type XmlName } from '../../../lib/native/xml-tokenizer.js';

const dec = new TextDecoder();

/** Our events as strings; adjacent text pieces merged. `null` when the document is rejected. */
export function ourEvents(doc: Uint8Array, chunks: number[] = [doc.length]): string[] | null {
  const ev: string[] = [];
  let text = '';
  const flush = (): void => {
    if (text !== '') ev.push(`text ${JSON.stringify(text)}`);
    text = '';
  };
  let tok: XmlTokenizer;
  const h: XmlHandler = {
    startTag(name: XmlName, selfClosing: boolean) {
      flush();
      const attrs: string[] = [];
      for (let k = 0; k < tok.attrCount; k++) attrs.push(`${tok.attrName(k)}=${JSON.stringify(tok.attrValue(k))}`);
      ev.push(`open ${name.str} [${attrs.join(' ')}]${selfClosing ? ' /' : ''}`);
    },
    endTag(name: XmlName) {
      flush();
      ev.push(`close ${name.str}`);
    },
    text(buf, s, e) {
      text += dec.decode(buf.subarray(s, e));
    },
    cdata(buf, s, e) {
      flush();
      ev.push(`cdata ${JSON.stringify(dec.decode(buf.subarray(s, e)))}`);
    },
    entityRef(buf, s, e) {
      flush();
      ev.push(`entityref ${dec.decode(buf.subarray(s, e))}`);
    },
    comment(buf, s, e) {
      flush();
      ev.push(`comment ${JSON.stringify(dec.decode(buf.subarray(s, e)))}`);
    },
    pi(buf, ts, te, bs, be) {
      flush();
      ev.push(`pi ${dec.decode(buf.subarray(ts, te))} ${JSON.stringify(dec.decode(buf.subarray(bs, be)))}`);
    },
  };
  tok = new XmlTokenizer(h);
  tok.wantText = true;
  try {
    let off = 0;
    let k = 0;
    while (off < doc.length) {
      const n = chunks[k++ % chunks.length] ?? doc.length;
      tok.write(doc.subarray(off, off + n));
      off += n;
    }
    tok.end();
  } catch {
    return null;
  }
  flush();
  return ev;
}

/** The same event log from saxes (text outside the root element is dropped: we do not report it). */
export function saxesEvents(doc: string): string[] | null {
  const ev: string[] = [];
  let text = '';
  let depth = 0;
  const flush = (): void => {
    if (text !== '') ev.push(`text ${JSON.stringify(text)}`);
    text = '';
  };
  const p = new SaxesParser({ xmlns: false, position: false });
  let failed = false;
  p.on('error', () => {
    failed = true;
  });
  p.on('opentag', (t) => {
    flush();
    const attrs = Object.entries(t.attributes).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    ev.push(`open ${t.name} [${attrs.join(' ')}]${t.isSelfClosing ? ' /' : ''}`);
    if (!t.isSelfClosing) depth++;
  });
  p.on('closetag', (t) => {
    flush();
    ev.push(`close ${t.name}`);
    if (!t.isSelfClosing) depth--;
  });
  p.on('text', (t) => {
    if (depth > 0) text += t;
  });
  p.on('cdata', (t) => {
    flush();
    ev.push(`cdata ${JSON.stringify(t)}`);
  });
  p.on('comment', (t) => {
    flush();
    ev.push(`comment ${JSON.stringify(t)}`);
  });
  p.on('processinginstruction', (pi) => {
    flush();
    ev.push(`pi ${pi.target} ${JSON.stringify(pi.body)}`);
  });
  try {
    p.write(doc);
    p.close();
  } catch {
    return null;
  }
  if (failed) return null;
  flush();
  return ev;
}
