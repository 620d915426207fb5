/**
 * Node prints a certificate's subject one attribute per line (`CN=x\nO=a\nO=b`), escaping
 * special characters RFC 4514 style (`\,`, `\"`, `\\`, `\0A`). This reads it back.
 */
export interface SubjectNames {
  readonly commonName: string;
  readonly organizations: readonly string[];
}

export function parseSubject(subject: string | undefined): SubjectNames {
  let commonName = '';
  const organizations: string[] = [];
  for (const line of (subject ?? '').split('\n')) {
    const eq = unescapedIndex(line, '=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = unescape(line.slice(eq + 1));
    // Go takes the first CN (pkix.Name.CommonName) and every O, in order.
    if (key === 'CN' && commonName === '') commonName = value;
    else if (key === 'O') organizations.push(value);
  }
  return { commonName, organizations };
}

function unescapedIndex(s: string, ch: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ch) return i;
  }
  return -1;
}

function unescape(s: string): string {
  const bytes: number[] = [];
  const out: string[] = [];
  const flush = () => {
    if (bytes.length > 0) out.push(Buffer.from(bytes.splice(0)).toString('utf8'));
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c !== '\\' || i + 1 >= s.length) {
      flush();
      out.push(c);
      continue;
    }
    const hex = s.slice(i + 1, i + 3);
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      flush();
      out.push(s[i + 1] ?? '');
      i++;
    }
  }
  flush();
  return out.join('');
}
