import { describe, expect, it } from 'vitest';
import { StatementReader, countStatements, splitStatements } from '../src/core/sql/statement-reader.js';
import { exactNumbers } from '../src/core/sql/real-literal.js';
import { normalizeSql, plainIdent, quoteIdent } from '../src/core/sql/identifiers.js';

describe('statement splitting', () => {
  it('splits plain statements and drops empty ones', () => {
    expect(splitStatements('CREATE TABLE a(x); CREATE TABLE b(x);;  ')).toEqual(['CREATE TABLE a(x)', 'CREATE TABLE b(x)']);
  });
  it('keeps semicolons inside quotes, doubled quotes and comments', () => {
    const sql = "INSERT INTO t VALUES('a;b', 'it''s; fine'); -- c; d\nSELECT \"x;y\" /* ; */ FROM [w;z]";
    expect(splitStatements(sql)).toHaveLength(2);
    expect(splitStatements(sql)[0]).toBe("INSERT INTO t VALUES('a;b', 'it''s; fine')");
  });
  it('treats a trigger body with inner semicolons and CASE ... END as one statement', () => {
    const trigger = `CREATE TRIGGER t AFTER UPDATE ON m BEGIN
      INSERT INTO f VALUES (CASE WHEN new.x THEN 1 ELSE 2 END);
      DELETE FROM g WHERE id = old.id; END`;
    expect(countStatements(trigger)).toBe(1);
    expect(countStatements(`${trigger}; SELECT 1`)).toBe(2);
  });
  it('counts comment-only or empty text as no statement', () => {
    expect(countStatements('-- nothing\n/* here */ ;')).toBe(0);
    expect(countStatements('')).toBe(0);
  });
  it('reads statements incrementally across arbitrary chunk boundaries', () => {
    const text = "INSERT INTO t VALUES('x;''y');\nCREATE TRIGGER r AFTER INSERT ON t BEGIN SELECT 1; END;\nSELECT 2;";
    for (const size of [1, 2, 3, 7, 100]) {
      const reader = new StatementReader();
      const got: string[] = [];
      for (let i = 0; i < text.length; i += size) got.push(...reader.feed(text.slice(i, i + size)));
      expect(reader.end()).toBeNull();
      expect(got).toEqual(splitStatements(text));
      expect(got).toHaveLength(3);
    }
  });
});

describe('names SQLite reads as names', () => {
  it('a name above ASCII (éend) is one word, never the END of a trigger body', () => {
    const trigger = 'CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO éend VALUES(1); UPDATE b SET x = 1; END';
    expect(splitStatements(`${trigger}; SELECT 1;`)).toEqual([trigger, 'SELECT 1']);
  });

  it('a table named begin does not open a second body', () => {
    const trigger = 'CREATE TRIGGER t AFTER INSERT ON begin BEGIN DELETE FROM x; SELECT CASE WHEN 1 THEN 2 END; END';
    expect(splitStatements(`${trigger}; INSERT INTO x VALUES(1); COMMIT;`)).toEqual([trigger, 'INSERT INTO x VALUES(1)', 'COMMIT']);
  });

  it('digits inside a name above ASCII (é1e999) are part of the name, never a number to rewrite', () => {
    // SQLite reads every character above ASCII as a name character: é9e999 would be another table.
    expect(exactNumbers('INSERT INTO é1e999(é1e5) VALUES(0.5)')).toMatch(/^INSERT INTO é1e999\(é1e5\) VALUES\(/);
    expect(exactNumbers('INSERT INTO é1e999(é1e5) VALUES(0.5)')).not.toContain('9e999');
  });

  it('-9223372036854775808 stays an INTEGER (INT64_MIN); one more is a REAL', () => {
    expect(exactNumbers('INSERT INTO t VALUES(-9223372036854775808)')).toBe('INSERT INTO t VALUES(-9223372036854775808)');
    expect(exactNumbers('INSERT INTO t VALUES(9223372036854775808)')).not.toBe('INSERT INTO t VALUES(9223372036854775808)');
    expect(exactNumbers('INSERT INTO t VALUES(-9223372036854775809)')).not.toBe('INSERT INTO t VALUES(-9223372036854775809)');
  });
});

describe('identifiers', () => {
  it('quotes with doubled quotes and leaves simple names bare only when safe', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(plainIdent('api_key_hash')).toBe('api_key_hash');
    expect(plainIdent('order')).toBe('"order"');
    expect(plainIdent('two words')).toBe('"two words"');
  });
  it('normalizes index DDL for comparison', () => {
    expect(normalizeSql('CREATE INDEX  x ON t ( a , "b" )')).toBe(normalizeSql('create index x on t(a,b)'));
  });
});
