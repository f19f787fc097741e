/**
 * The MCP Memory "v1" production schema the guide starts from (9 tables as the guide counts them,
 * 23 named indexes, 6 FTS triggers). Used to build demo, test and benchmark databases.
 */
export const V1_SCHEMA_SQL = `-- MCP Memory TypeScript "v1" production schema as it stood before the optimization:
-- 9 tables (7 plain + 2 FTS5), 23 named indexes. Built from the project's schema.ts
-- plus the columns and indexes its unified migration added in production.
PRAGMA foreign_keys=ON;
CREATE TABLE users (
  id TEXT PRIMARY KEY, email TEXT UNIQUE NOT NULL, name TEXT, organization TEXT,
  api_key TEXT, oauth_provider TEXT, oauth_id TEXT, is_active BOOLEAN DEFAULT 1,
  metadata TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE entities (
  id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT, name TEXT NOT NULL, entity_type TEXT NOT NULL,
  person_type TEXT, description TEXT, company TEXT, title TEXT, email TEXT, phone TEXT, address TEXT,
  website TEXT, social_media TEXT, notes TEXT, importance INTEGER DEFAULT 2, tags TEXT,
  relationships TEXT, last_interaction TEXT, interaction_count INTEGER DEFAULT 0, metadata TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  first_name TEXT, last_name TEXT, contact_info TEXT, active BOOLEAN DEFAULT 1,
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE);
CREATE TABLE memories (
  id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT, title TEXT NOT NULL, content TEXT NOT NULL,
  memory_type TEXT NOT NULL, importance INTEGER DEFAULT 2, tags TEXT, entity_ids TEXT, embedding TEXT,
  metadata TEXT, is_archived BOOLEAN DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  description TEXT, details TEXT, uuid TEXT, context TEXT, sentiment REAL, expires_at TEXT, active BOOLEAN DEFAULT 1,
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE);
CREATE TABLE interactions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT, user_prompt TEXT NOT NULL, assistant_response TEXT NOT NULL,
  context TEXT, feedback TEXT, sentiment TEXT, metadata TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE);
CREATE TABLE learned_patterns (
  id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT, pattern_type TEXT NOT NULL, pattern_data TEXT NOT NULL,
  confidence REAL DEFAULT 0.5, usage_count INTEGER DEFAULT 0, last_used TEXT, metadata TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE);
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
CREATE TABLE api_usage_tracking (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL,
  api_provider TEXT NOT NULL CHECK(api_provider IN ('openai', 'openrouter')),
  model TEXT NOT NULL, tokens_used INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL,
  operation_type TEXT NOT NULL, timestamp INTEGER NOT NULL, date TEXT NOT NULL, metadata TEXT,
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE);
CREATE INDEX idx_users_email ON users(email);
CREATE INDEX idx_users_api_key ON users(api_key);
CREATE INDEX idx_entities_user_id ON entities(user_id);
CREATE INDEX idx_entities_type ON entities(entity_type);
CREATE INDEX idx_entities_name ON entities(name);
CREATE INDEX idx_entities_importance ON entities(importance);
CREATE INDEX idx_entities_user_type ON entities(user_id, entity_type);
CREATE INDEX idx_entities_active ON entities(user_id, active);
CREATE INDEX idx_memories_user_id ON memories(user_id);
CREATE INDEX idx_memories_type ON memories(memory_type);
CREATE INDEX idx_memories_importance ON memories(importance);
CREATE INDEX idx_memories_archived ON memories(is_archived);
CREATE INDEX idx_memories_created ON memories(created_at);
CREATE INDEX idx_memories_user_type ON memories(user_id, memory_type);
CREATE INDEX idx_memories_user_importance ON memories(user_id, importance DESC);
CREATE INDEX idx_memories_uuid ON memories(uuid);
CREATE INDEX idx_interactions_user_id ON interactions(user_id);
CREATE INDEX idx_interactions_created ON interactions(created_at);
CREATE INDEX idx_patterns_user_id ON learned_patterns(user_id);
CREATE INDEX idx_patterns_type ON learned_patterns(pattern_type);
CREATE INDEX idx_usage_user_date ON api_usage_tracking(user_id, date);
CREATE INDEX idx_usage_provider_date ON api_usage_tracking(api_provider, date);
CREATE INDEX idx_usage_date ON api_usage_tracking(date);
CREATE VIRTUAL TABLE memories_fts USING fts5(title, content, tags, content='memories', content_rowid='id');
CREATE VIRTUAL TABLE entities_fts USING fts5(name, description, notes, tags, content='entities', content_rowid='id');
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts(rowid, title, content, tags) VALUES (new.id, new.title, new.content, new.tags); END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, title, content, tags) VALUES ('delete', old.id, old.title, old.content, old.tags); END;
CREATE TRIGGER memories_fts_update AFTER UPDATE ON memories BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, title, content, tags) VALUES ('delete', old.id, old.title, old.content, old.tags);
  INSERT INTO memories_fts(rowid, title, content, tags) VALUES (new.id, new.title, new.content, new.tags); END;
CREATE TRIGGER entities_fts_insert AFTER INSERT ON entities BEGIN
  INSERT INTO entities_fts(rowid, name, description, notes, tags) VALUES (new.id, new.name, new.description, new.notes, new.tags); END;
CREATE TRIGGER entities_fts_delete AFTER DELETE ON entities BEGIN
  INSERT INTO entities_fts(entities_fts, rowid, name, description, notes, tags) VALUES ('delete', old.id, old.name, old.description, old.notes, old.tags); END;
CREATE TRIGGER entities_fts_update AFTER UPDATE ON entities BEGIN
  INSERT INTO entities_fts(entities_fts, rowid, name, description, notes, tags) VALUES ('delete', old.id, old.name, old.description, old.notes, old.tags);
  INSERT INTO entities_fts(rowid, name, description, notes, tags) VALUES (new.id, new.name, new.description, new.notes, new.tags); END;
INSERT INTO schema_version VALUES (1, '2025-09-27T00:00:00Z');
`;
