INSERT INTO t VALUES('a;b', 'it''s; fine', "x;y", `w;z`, [v;u]);
SELECT 'no -- comment here', 'nor /* this */';
SELECT X'3B3B', 'é;ü', '😀;';
