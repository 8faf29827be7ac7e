/* SPDX-License-Identifier: MIT */
/* The MySQL/MariaDB schema and every statement the backend prepares.  The schema is created
 * on every connect (CREATE TABLE IF NOT EXISTS), then wsc_schema_version is checked: a
 * database written by a newer library is refused.  docs/schema.sql is this same DDL (a unit
 * test compares them).  Ids are VARBINARY (byte-exact, case-sensitive, at most 255 bytes as
 * the repository contract allows); messages are stored as their encoded JSON; times are
 * wall-clock milliseconds; every table has expires_ms, filtered on read and purged by the
 * worker. */
#include "repository/mysql/mysql_internal.h"

/* clang-format off */
const char *const wsc__my_schema[] = {
    "CREATE TABLE IF NOT EXISTS wsc_schema_version (\n"
    "  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,\n"
    "  version INT UNSIGNED NOT NULL\n"
    ") ENGINE=InnoDB",

    "CREATE TABLE IF NOT EXISTS wsc_offline (\n"
    "  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
    "  user_id VARBINARY(255) NOT NULL,\n"
    "  message_id VARBINARY(255) NOT NULL,\n"
    "  body MEDIUMBLOB NOT NULL,\n"
    "  created_ms BIGINT NOT NULL,\n"
    "  expires_ms BIGINT NOT NULL,\n"
    "  sender VARBINARY(255) NULL,\n"
    "  body_bytes INT UNSIGNED NOT NULL DEFAULT 0,\n"
    "  UNIQUE KEY uq_offline_user_msg (user_id, message_id),\n"
    "  KEY ix_offline_user (user_id, id, expires_ms),\n"
    "  KEY ix_offline_expires (expires_ms),\n"
    "  KEY ix_offline_user_sender (user_id, sender, expires_ms),\n"
    "  KEY ix_offline_sender (sender, expires_ms, body_bytes)\n"
    ") ENGINE=InnoDB",

    "CREATE TABLE IF NOT EXISTS wsc_msg_record (\n"
    "  message_id VARBINARY(255) NOT NULL,\n"
    "  receiver VARBINARY(255) NOT NULL,\n"
    "  sender VARBINARY(255) NULL,\n"
    "  state TINYINT UNSIGNED NOT NULL,\n"
    "  retry_count INT UNSIGNED NOT NULL,\n"
    "  last_error INT NOT NULL,\n"
    "  error_text BLOB NULL,\n"
    "  created_ms BIGINT NOT NULL,\n"
    "  updated_ms BIGINT NOT NULL,\n"
    "  sent_ms BIGINT NOT NULL,\n"
    "  acked_ms BIGINT NOT NULL,\n"
    "  expires_ms BIGINT NOT NULL,\n"
    "  PRIMARY KEY (message_id, receiver),\n"
    "  KEY ix_msg_record_expires (expires_ms)\n"
    ") ENGINE=InnoDB",

    "CREATE TABLE IF NOT EXISTS wsc_online (\n"
    "  user_id VARBINARY(255) NOT NULL,\n"
    "  client_id VARBINARY(255) NOT NULL,\n"
    "  node_id VARBINARY(255) NOT NULL,\n"
    "  expires_ms BIGINT NOT NULL,\n"
    "  PRIMARY KEY (user_id, client_id),\n"
    "  KEY ix_online_expires (expires_ms)\n"
    ") ENGINE=InnoDB",

    "CREATE TABLE IF NOT EXISTS wsc_conn_record (\n"
    "  node_id VARBINARY(255) NOT NULL,\n"
    "  conn_id BIGINT UNSIGNED NOT NULL,\n"
    "  user_id VARBINARY(255) NULL,\n"
    "  client_id VARBINARY(255) NULL,\n"
    "  remote_ip VARBINARY(255) NULL,\n"
    "  connected_ms BIGINT NOT NULL,\n"
    "  disconnected_ms BIGINT NOT NULL,\n"
    "  close_code INT NOT NULL,\n"
    "  close_reason BLOB NULL,\n"
    "  active TINYINT UNSIGNED NOT NULL,\n"
    "  msgs_in BIGINT UNSIGNED NOT NULL,\n"
    "  msgs_out BIGINT UNSIGNED NOT NULL,\n"
    "  bytes_in BIGINT UNSIGNED NOT NULL,\n"
    "  bytes_out BIGINT UNSIGNED NOT NULL,\n"
    "  errors BIGINT UNSIGNED NOT NULL,\n"
    "  expires_ms BIGINT NOT NULL,\n"
    "  PRIMARY KEY (node_id, conn_id),\n"
    "  KEY ix_conn_record_expires (expires_ms)\n"
    ") ENGINE=InnoDB",

    "CREATE TABLE IF NOT EXISTS wsc_offline_tally (\n"
    "  kind TINYINT UNSIGNED NOT NULL,\n"
    "  k1 VARBINARY(255) NOT NULL,\n"
    "  k2 VARBINARY(255) NOT NULL,\n"
    "  n BIGINT NOT NULL,\n"
    "  bytes BIGINT NOT NULL,\n"
    "  PRIMARY KEY (kind, k1, k2)\n"
    ") ENGINE=InnoDB",

    "INSERT IGNORE INTO wsc_schema_version (id, version) VALUES (1, 1)",
    NULL,
};

/* Columns added after a table was first created: a table made before them gets them on
 * connect (CREATE TABLE IF NOT EXISTS leaves an existing table as it is). */
const struct my_migration wsc__my_migrations[] = {
    {"SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
     "AND TABLE_NAME = 'wsc_offline' AND COLUMN_NAME = 'sender'",
     {"ALTER TABLE wsc_offline ADD COLUMN sender VARBINARY(255) NULL, "
      "ADD COLUMN body_bytes INT UNSIGNED NOT NULL DEFAULT 0, "
      "ADD KEY ix_offline_user_sender (user_id, sender, expires_ms), "
      "ADD KEY ix_offline_sender (sender, expires_ms, body_bytes)",
      "UPDATE wsc_offline SET body_bytes = LENGTH(body)", NULL}},
    {NULL, {NULL}},
};

const char *const wsc__my_sql[MY_STMT_COUNT] = {
    [MY_PING] = "SELECT 1",
    /* Idempotent per (user, message) through the unique key; refused (no row) when the user
     * already holds the maximum of live messages. */
    [MY_OFF_INSERT] =
        "INSERT IGNORE INTO wsc_offline (user_id, message_id, body, created_ms, expires_ms, "
        "body_bytes) SELECT ?, ?, ?, ?, ?, ? FROM DUAL WHERE (SELECT COUNT(*) FROM wsc_offline "
        "WHERE user_id = ? AND expires_ms > ?) < ?",
    /* The same for a message with a sender, also refused over the sender's share of the
     * inbox and its count and bytes in all inboxes (docs/storage.md, "Offline bounds"). */
    [MY_OFF_INSERT_SENDER] =
        "INSERT IGNORE INTO wsc_offline (user_id, message_id, body, created_ms, expires_ms, "
        "body_bytes, sender) SELECT ?, ?, ?, ?, ?, ?, ? FROM DUAL WHERE "
        "(SELECT COUNT(*) FROM wsc_offline WHERE user_id = ? AND expires_ms > ?) < ? "
        "AND (SELECT COUNT(*) FROM wsc_offline "
        "WHERE user_id = ? AND sender = ? AND expires_ms > ?) < ? "
        "AND (SELECT COUNT(*) FROM wsc_offline WHERE sender = ? AND expires_ms > ?) < ? "
        "AND (SELECT COALESCE(SUM(body_bytes), 0) FROM wsc_offline "
        "WHERE sender = ? AND expires_ms > ?) + ? <= ?",
    /* The store on the tally's path (mysql_offline.c store_tally): the tally rows of the user,
     * the (user, sender) pair and the sender, locked; then the insert, unguarded. */
    [MY_OFF_TALLY_LOCK] =
        "SELECT kind, n, bytes FROM wsc_offline_tally WHERE (kind = 0 AND k1 = ? AND k2 = '') "
        "OR (kind = 1 AND k1 = ? AND k2 = ?) OR (kind = 2 AND k1 = ? AND k2 = '') FOR UPDATE",
    [MY_OFF_INSERT_PLAIN] =
        "INSERT IGNORE INTO wsc_offline (user_id, message_id, body, created_ms, expires_ms, "
        "body_bytes, sender) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [MY_OFF_EXPIRES] =
        "SELECT expires_ms FROM wsc_offline WHERE user_id = ? AND message_id = ?",
    [MY_OFF_DROP_EXPIRED] =
        "DELETE FROM wsc_offline WHERE user_id = ? AND message_id = ? AND expires_ms <= ?",
    [MY_OFF_FETCH] =
        "SELECT id, body FROM wsc_offline WHERE user_id = ? AND id > ? AND expires_ms > ? "
        "ORDER BY id LIMIT ?",
    [MY_OFF_REMOVE] = "DELETE FROM wsc_offline WHERE user_id = ? AND message_id = ?",
    [MY_OFF_COUNT] = "SELECT COUNT(*) FROM wsc_offline WHERE user_id = ? AND expires_ms > ?",
    [MY_OFF_CLEAR] = "DELETE FROM wsc_offline WHERE user_id = ?",
    [MY_REC_PUT] =
        "REPLACE INTO wsc_msg_record (message_id, receiver, sender, state, retry_count, "
        "last_error, error_text, created_ms, updated_ms, sent_ms, acked_ms, expires_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    /* params: state, retry_inc, last_error, error_text, now (updated), is_sent, now,
     * is_acked, now, expires, message_id, receiver, now */
    [MY_REC_UPDATE] =
        "UPDATE wsc_msg_record SET state = ?, retry_count = retry_count + ?, last_error = ?, "
        "error_text = ?, updated_ms = ?, sent_ms = IF(? AND sent_ms = 0, ?, sent_ms), "
        "acked_ms = IF(?, ?, acked_ms), expires_ms = ? "
        "WHERE message_id = ? AND receiver = ? AND expires_ms > ?",
    [MY_REC_GET] =
        "SELECT sender, state, retry_count, last_error, error_text, created_ms, updated_ms, "
        "sent_ms, acked_ms FROM wsc_msg_record "
        "WHERE message_id = ? AND receiver = ? AND expires_ms > ?",
    [MY_REC_REMOVE] =
        "DELETE FROM wsc_msg_record WHERE message_id = ? AND receiver = ? AND expires_ms > ?",
    [MY_ON_SET] =
        "INSERT INTO wsc_online (user_id, client_id, node_id, expires_ms) VALUES (?, ?, ?, ?) "
        "ON DUPLICATE KEY UPDATE node_id = VALUES(node_id), expires_ms = VALUES(expires_ms)",
    [MY_ON_REFRESH] =
        "UPDATE wsc_online SET expires_ms = ? "
        "WHERE user_id = ? AND client_id = ? AND expires_ms > ?",
    [MY_ON_REMOVE] =
        "DELETE FROM wsc_online WHERE user_id = ? AND client_id = ? AND expires_ms > ?",
    [MY_ON_GET] =
        "SELECT client_id, node_id, expires_ms FROM wsc_online "
        "WHERE user_id = ? AND expires_ms > ? ORDER BY client_id",
    [MY_CONN_CONNECT] =
        "REPLACE INTO wsc_conn_record (node_id, conn_id, user_id, client_id, remote_ip, "
        "connected_ms, disconnected_ms, close_code, close_reason, active, msgs_in, msgs_out, "
        "bytes_in, bytes_out, errors, expires_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, 0, 0, NULL, 1, 0, 0, 0, 0, 0, ?)",
    [MY_CONN_ADD] =
        "UPDATE wsc_conn_record SET msgs_in = msgs_in + ?, msgs_out = msgs_out + ?, "
        "bytes_in = bytes_in + ?, bytes_out = bytes_out + ?, errors = errors + ?, "
        "expires_ms = ? WHERE node_id = ? AND conn_id = ? AND expires_ms > ?",
    [MY_CONN_DISCONNECT] =
        "UPDATE wsc_conn_record SET active = 0, disconnected_ms = ?, close_code = ?, "
        "close_reason = ?, expires_ms = ? WHERE node_id = ? AND conn_id = ? AND expires_ms > ?",
    [MY_CONN_GET] =
        "SELECT user_id, client_id, remote_ip, connected_ms, disconnected_ms, close_code, "
        "close_reason, active, msgs_in, msgs_out, bytes_in, bytes_out, errors "
        "FROM wsc_conn_record WHERE node_id = ? AND conn_id = ? AND expires_ms > ?",
    [MY_PURGE_OFF] = "DELETE FROM wsc_offline WHERE expires_ms <= ? LIMIT 1000",
    [MY_PURGE_REC] = "DELETE FROM wsc_msg_record WHERE expires_ms <= ? LIMIT 1000",
    [MY_PURGE_ON] = "DELETE FROM wsc_online WHERE expires_ms <= ? LIMIT 1000",
    [MY_PURGE_CONN] = "DELETE FROM wsc_conn_record WHERE expires_ms <= ? LIMIT 1000",
    /* Tally rows of users and senders with nothing left (the argument is unused: 0). */
    [MY_PURGE_TALLY] = "DELETE FROM wsc_offline_tally WHERE n <= ? LIMIT 1000",
};
/* clang-format on */
