PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE _schema_wizard_pieces (id INTEGER PRIMARY KEY, part TEXT NOT NULL);
INSERT INTO _schema_wizard_pieces VALUES(1,'41424344;');
INSERT INTO "learned_patterns" VALUES(1,(SELECT CAST(unhex(group_concat(part, '')) AS TEXT) FROM (SELECT part FROM _schema_wizard_pieces ORDER BY id)),0.5);
DROP TABLE _schema_wizard_pieces;
INSERT INTO t VALUES(CAST(X'C328' AS TEXT));
COMMIT;
