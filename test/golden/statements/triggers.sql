CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts(rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER t2 AFTER UPDATE ON m BEGIN
  UPDATE f SET x = CASE WHEN new.x THEN 'END;' ELSE 2 END;
  DELETE FROM g WHERE id = old.id;
END;
CREATE TABLE "begin"(end INTEGER, "case" TEXT);
SELECT end FROM "begin";
