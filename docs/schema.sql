-- wsc MySQL/MariaDB schema, version 1: the exact DDL the library runs on every
-- connect (src/repository/mysql/mysql_schema.c; unit.repository.mysql_schema keeps
-- the two equal).  Ids are byte strings of at most 255 bytes; times are wall-clock
-- milliseconds since the epoch; rows past expires_ms are ignored and purged.
-- wsc_offline.sender and body_bytes (the per-sender bounds, docs/storage.md) came later:
-- on a table made before them, the library adds them on connect (wsc__my_migrations in
-- mysql_schema.c: ALTER TABLE ... ADD COLUMN ..., then body_bytes = LENGTH(body)).

CREATE TABLE IF NOT EXISTS wsc_schema_version (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  version INT UNSIGNED NOT NULL
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS wsc_offline (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id VARBINARY(255) NOT NULL,
  message_id VARBINARY(255) NOT NULL,
  body MEDIUMBLOB NOT NULL,
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  sender VARBINARY(255) NULL,
  body_bytes INT UNSIGNED NOT NULL DEFAULT 0,
  UNIQUE KEY uq_offline_user_msg (user_id, message_id),
  KEY ix_offline_user (user_id, id, expires_ms),
  KEY ix_offline_expires (expires_ms),
  KEY ix_offline_user_sender (user_id, sender, expires_ms),
  KEY ix_offline_sender (sender, expires_ms, body_bytes)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS wsc_msg_record (
  message_id VARBINARY(255) NOT NULL,
  receiver VARBINARY(255) NOT NULL,
  sender VARBINARY(255) NULL,
  state TINYINT UNSIGNED NOT NULL,
  retry_count INT UNSIGNED NOT NULL,
  last_error INT NOT NULL,
  error_text BLOB NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  sent_ms BIGINT NOT NULL,
  acked_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  PRIMARY KEY (message_id, receiver),
  KEY ix_msg_record_expires (expires_ms)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS wsc_online (
  user_id VARBINARY(255) NOT NULL,
  client_id VARBINARY(255) NOT NULL,
  node_id VARBINARY(255) NOT NULL,
  expires_ms BIGINT NOT NULL,
  PRIMARY KEY (user_id, client_id),
  KEY ix_online_expires (expires_ms)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS wsc_conn_record (
  node_id VARBINARY(255) NOT NULL,
  conn_id BIGINT UNSIGNED NOT NULL,
  user_id VARBINARY(255) NULL,
  client_id VARBINARY(255) NULL,
  remote_ip VARBINARY(255) NULL,
  connected_ms BIGINT NOT NULL,
  disconnected_ms BIGINT NOT NULL,
  close_code INT NOT NULL,
  close_reason BLOB NULL,
  active TINYINT UNSIGNED NOT NULL,
  msgs_in BIGINT UNSIGNED NOT NULL,
  msgs_out BIGINT UNSIGNED NOT NULL,
  bytes_in BIGINT UNSIGNED NOT NULL,
  bytes_out BIGINT UNSIGNED NOT NULL,
  errors BIGINT UNSIGNED NOT NULL,
  expires_ms BIGINT NOT NULL,
  PRIMARY KEY (node_id, conn_id),
  KEY ix_conn_record_expires (expires_ms)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS wsc_offline_tally (
  kind TINYINT UNSIGNED NOT NULL,
  k1 VARBINARY(255) NOT NULL,
  k2 VARBINARY(255) NOT NULL,
  n BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  PRIMARY KEY (kind, k1, k2)
) ENGINE=InnoDB;

INSERT IGNORE INTO wsc_schema_version (id, version) VALUES (1, 1);
