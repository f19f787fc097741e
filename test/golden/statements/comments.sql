-- a leading comment; with a semicolon
SELECT 1; -- trailing; comment
/* block; comment
   over lines; */ SELECT 2 /* inline; */ ;
-- only a comment at the end;
