/* SPDX-License-Identifier: MIT */
/* The worker's side of the MySQL connection: connect (timeouts from the store's command
 * timeout, CLIENT_FOUND_ROWS so that an UPDATE reports the rows it matched), the session's
 * lock-wait limits, schema creation and its version check, and the execution of prepared
 * statements with their rows copied into the job.  Statements are prepared on first use
 * and kept until the connection is dropped; a new connection prepares them again.  Runs on
 * the worker thread only. */
#include <errmsg.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>

#include "models/alloc.h"
#include "repository/mysql/mysql_internal.h"

static const char version_sql[] = "SELECT version FROM wsc_schema_version WHERE id = 1";
static const char session_sql[] = "SET SESSION lock_wait_timeout = ?, innodb_lock_wait_timeout = ?";

/* Errors after which the connection cannot be used again. */
static bool
conn_lost(unsigned e)
{
    return (e >= 2000 && e < 3000) || e == ER_CONNECTION_KILLED || e == ER_SERVER_SHUTDOWN ||
           e == ER_UNKNOWN_STMT_HANDLER;
}

static void
bind_params(MYSQL_BIND *b, const struct my_arg *args, unsigned n)
{
    memset(b, 0, n * sizeof(*b));
    for (unsigned i = 0; i < n; i++) {
        const struct my_arg *a = &args[i];
        if (a->type == MY_NULL) {
            b[i].buffer_type = MYSQL_TYPE_NULL;
        } else if (a->type == MY_STR) {
            b[i].buffer_type = MYSQL_TYPE_BLOB;
            b[i].buffer = a->s;
            b[i].buffer_length = a->len;
            b[i].length_value = a->len;
            b[i].length = &b[i].length_value;
        } else {
            b[i].buffer_type = MYSQL_TYPE_LONGLONG;
            b[i].buffer = (void *)(uintptr_t)&a->i;
            b[i].is_unsigned = a->type == MY_U64;
        }
    }
}

static bool
is_int(enum enum_field_types t)
{
    return t == MYSQL_TYPE_TINY || t == MYSQL_TYPE_SHORT || t == MYSQL_TYPE_LONG ||
           t == MYSQL_TYPE_INT24 || t == MYSQL_TYPE_LONGLONG;
}

static bool
grow_cells(struct my_job *job)
{
    size_t need = (job->nrows + 1) * job->ncols;
    if (need <= job->cap)
        return true; /* also a row of no columns, with no cells yet */
    struct my_cell *p = wsc__grow(job->cells, &job->cap, need, sizeof(*p), job->ncols * 8);
    if (p == NULL)
        return false;
    job->cells = p;
    return true;
}

/* Copies the fetched row (bound in b with out[]) into the job's cells. */
static bool
keep_row(struct my_job *job, const MYSQL_BIND *b, const struct my_cell *out)
{
    if (!grow_cells(job))
        return false;
    struct my_cell *row = &job->cells[job->nrows * job->ncols];
    memset(row, 0, job->ncols * sizeof(*row));
    job->nrows++;
    for (size_t i = 0; i < job->ncols; i++) {
        row[i].null = out[i].null;
        if (b[i].buffer_type == MYSQL_TYPE_LONGLONG) {
            row[i].i = out[i].i;
        } else if (!out[i].null) {
            row[i].s = wsc__strndup(out[i].s, out[i].len);
            row[i].len = out[i].len;
            if (row[i].s == NULL)
                return false;
        }
    }
    return true;
}

/* Buffers the result set and copies every row.  The string buffers are sized from the
 * columns' max_length (STMT_ATTR_UPDATE_MAX_LENGTH). */
static wsc_err
read_rows(MYSQL_STMT *st, MYSQL_RES *meta, struct my_job *job)
{
    unsigned n = mysql_num_fields(meta);
    if (n == 0 || n > MY_MAX_ARGS || mysql_stmt_store_result(st) != 0)
        return WSC_ERR_STORE;
    MYSQL_FIELD *f = mysql_fetch_fields(meta);
    MYSQL_BIND b[MY_MAX_ARGS];
    struct my_cell out[MY_MAX_ARGS];
    my_bool nulls[MY_MAX_ARGS];
    memset(b, 0, sizeof(b));
    memset(out, 0, sizeof(out));
    job->ncols = n;
    wsc_err err = WSC_OK;
    for (unsigned i = 0; i < n && err == WSC_OK; i++) {
        b[i].is_null = &nulls[i];
        b[i].length = &out[i].len;
        if (is_int(f[i].type)) {
            b[i].buffer_type = MYSQL_TYPE_LONGLONG;
            b[i].buffer = &out[i].i;
            b[i].is_unsigned = (f[i].flags & UNSIGNED_FLAG) != 0;
        } else {
            b[i].buffer_type = MYSQL_TYPE_BLOB;
            b[i].buffer_length = f[i].max_length + 1;
            b[i].buffer = out[i].s = wsc__malloc(b[i].buffer_length);
            if (out[i].s == NULL)
                err = WSC_ERR_NOMEM;
        }
    }
    if (err == WSC_OK && mysql_stmt_bind_result(st, b) != 0)
        err = WSC_ERR_STORE;
    int rc;
    while (err == WSC_OK && (rc = mysql_stmt_fetch(st)) != MYSQL_NO_DATA) {
        for (unsigned i = 0; i < n; i++)
            out[i].null = nulls[i];
        if (rc != 0)
            err = WSC_ERR_STORE; /* an error, or truncation we sized against */
        else if (!keep_row(job, b, out))
            err = WSC_ERR_NOMEM;
    }
    for (unsigned i = 0; i < n; i++)
        wsc__free(b[i].buffer_type == MYSQL_TYPE_BLOB ? out[i].s : NULL);
    mysql_stmt_free_result(st);
    return err;
}

static void
clear_rows(struct my_job *job)
{
    for (size_t i = 0; i < job->nrows * job->ncols; i++)
        wsc__free(job->cells[i].s);
    job->nrows = job->ncols = 0;
    job->affected = 0;
}

/* Executes a prepared statement; on failure fills job->errtext and returns the server's or
 * client's error number through *eno. */
static wsc_err
run_stmt(MYSQL_STMT *st, const struct my_arg *args, unsigned nargs, struct my_job *job,
         unsigned *eno)
{
    MYSQL_BIND b[MY_MAX_ARGS];
    clear_rows(job);
    *eno = 0;
    bind_params(b, args, nargs);
    if (mysql_stmt_param_count(st) != nargs || mysql_stmt_bind_param(st, b) != 0 ||
        mysql_stmt_execute(st) != 0) {
        *eno = mysql_stmt_errno(st);
        snprintf(job->errtext, sizeof(job->errtext), "mysql: %u %s", *eno, mysql_stmt_error(st));
        return WSC_ERR_STORE;
    }
    job->affected = (uint64_t)mysql_stmt_affected_rows(st);
    MYSQL_RES *meta = mysql_stmt_result_metadata(st);
    if (meta == NULL)
        return WSC_OK;
    wsc_err err = read_rows(st, meta, job);
    mysql_free_result(meta);
    if (err == WSC_ERR_STORE) {
        *eno = mysql_stmt_errno(st);
        snprintf(job->errtext, sizeof(job->errtext), "mysql: %u %s", *eno, mysql_stmt_error(st));
    }
    return err;
}

/* A prepared statement, or NULL with err filled and *eno the statement's error number (read
 * before the handle is closed: the connection's own errno does not carry it). */
static MYSQL_STMT *
prepare(MYSQL *m, const char *sql, char *err, size_t errlen, unsigned *eno)
{
    *eno = 0;
    MYSQL_STMT *st = mysql_stmt_init(m);
    if (st == NULL) {
        snprintf(err, errlen, "mysql: out of memory");
        return NULL;
    }
    my_bool on = 1;
    mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
    if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
        *eno = mysql_stmt_errno(st);
        snprintf(err, errlen, "mysql: %u %s", *eno, mysql_stmt_error(st));
        mysql_stmt_close(st);
        return NULL;
    }
    return st;
}

bool
wsc__my_lost(unsigned eno)
{
    return conn_lost(eno);
}

wsc_err
wsc__my_exec(struct my_conn *c, enum my_stmt_id id, const struct my_arg *args, unsigned nargs,
             struct my_job *job)
{
    if (c->mysql == NULL)
        return WSC_ERR_STORE;
    if (c->stmts[id] == NULL) {
        unsigned eno;
        c->stmts[id] = prepare(c->mysql, wsc__my_sql[id], job->errtext, sizeof(job->errtext), &eno);
        if (c->stmts[id] == NULL) {
            if (conn_lost(eno) || conn_lost(mysql_errno(c->mysql)))
                wsc__my_conn_close(c);
            return WSC_ERR_STORE;
        }
    }
    unsigned eno;
    wsc_err err = run_stmt(c->stmts[id], args, nargs, job, &eno);
    if (err != WSC_OK && conn_lost(eno))
        wsc__my_conn_close(c);
    return err;
}

/* Prepares, runs and closes one statement (session setup and schema); *eno as run_stmt's. */
static wsc_err
run_once_eno(MYSQL *m, const char *sql, const struct my_arg *args, unsigned n, struct my_job *job,
             unsigned *eno)
{
    MYSQL_STMT *st = prepare(m, sql, job->errtext, sizeof(job->errtext), eno);
    if (st == NULL)
        return WSC_ERR_STORE;
    wsc_err err = run_stmt(st, args, n, job, eno);
    mysql_stmt_close(st);
    return err;
}

static wsc_err
run_once(MYSQL *m, const char *sql, const struct my_arg *args, unsigned n, struct my_job *job)
{
    unsigned eno;
    return run_once_eno(m, sql, args, n, job, &eno);
}

/* Brings tables made by an older library up to date (wsc__my_migrations).  Two nodes may
 * migrate at once: the one that finds the column or key already added carries on. */
static wsc_err
migrate(MYSQL *m, struct my_job *job)
{
    for (const struct my_migration *mg = wsc__my_migrations; mg->check != NULL; mg++) {
        wsc_err err = run_once(m, mg->check, NULL, 0, job);
        if (err != WSC_OK)
            return err;
        if (job->nrows != 1 || wsc__my_cell(job, 0, 0)->i != 0)
            continue;
        for (size_t i = 0; mg->apply[i] != NULL; i++) {
            unsigned eno;
            err = run_once_eno(m, mg->apply[i], NULL, 0, job, &eno);
            if (err != WSC_OK && eno != ER_DUP_FIELDNAME && eno != ER_DUP_KEYNAME)
                return err;
        }
    }
    return WSC_OK;
}

/* Session limits, the schema and its version, on a fresh connection. */
static wsc_err
setup_session(struct my_conn *c, struct my_job *job)
{
    unsigned secs = (c->ms->base.cfg.command_timeout_ms + 999) / 1000;
    struct my_arg lim[2] = {{.type = MY_I64, .i = secs}, {.type = MY_I64, .i = secs}};
    wsc_err err = run_once(c->mysql, session_sql, lim, 2, job);
    for (size_t i = 0; err == WSC_OK && wsc__my_schema[i] != NULL; i++)
        err = run_once(c->mysql, wsc__my_schema[i], NULL, 0, job);
    if (err == WSC_OK)
        err = migrate(c->mysql, job);
    if (err == WSC_OK)
        c->tally = wsc__my_tally_setup(c->mysql, job);
    if (err == WSC_OK)
        err = run_once(c->mysql, version_sql, NULL, 0, job);
    if (err == WSC_OK && (job->nrows != 1 || wsc__my_cell(job, 0, 0)->i > WSC__MY_SCHEMA_VERSION)) {
        snprintf(job->errtext, sizeof(job->errtext),
                 "mysql: schema version %lld is newer than this library's (%d)",
                 job->nrows ? (long long)wsc__my_cell(job, 0, 0)->i : -1LL, WSC__MY_SCHEMA_VERSION);
        err = WSC_ERR_STORE;
    }
    return err;
}

wsc_err
wsc__my_conn_open(struct my_conn *c, char *err, size_t errlen)
{
    struct my_store *ms = c->ms;
    MYSQL *m = mysql_init(NULL);
    if (m == NULL) {
        snprintf(err, errlen, "mysql: out of memory");
        return WSC_ERR_NOMEM;
    }
    /* The connector's timeouts are whole seconds; the request timer on the loop keeps the
     * caller's deadline exact, these only bound how long the worker can be held. */
    unsigned secs = (ms->base.cfg.command_timeout_ms + 999) / 1000;
    unsigned io_secs = secs + 1; /* the server's lock-wait limit (secs) answers first */
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io_secs);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io_secs);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (mysql_real_connect(m, ms->host, ms->user, ms->password, ms->db, ms->port, NULL,
                           CLIENT_FOUND_ROWS) == NULL) {
        snprintf(err, errlen, "mysql: connect: %u %s", mysql_errno(m), mysql_error(m));
        mysql_close(m);
        return WSC_ERR_STORE;
    }
    c->mysql = m;
    struct my_job scratch = {0};
    wsc_err e = setup_session(c, &scratch);
    clear_rows(&scratch);
    wsc__free(scratch.cells);
    if (e != WSC_OK) {
        snprintf(err, errlen, "%s", scratch.errtext);
        wsc__my_conn_close(c);
    }
    return e;
}

void
wsc__my_conn_close(struct my_conn *c)
{
    for (size_t i = 0; i < MY_STMT_COUNT; i++) {
        if (c->stmts[i] != NULL)
            mysql_stmt_close(c->stmts[i]);
        c->stmts[i] = NULL;
    }
    if (c->mysql == NULL)
        return;
    /* Unpublish the socket before closing it, so that close() never shuts down a
     * descriptor number that has been reused. */
    pthread_mutex_lock(&c->ms->mu);
    c->ms->sock = -1;
    pthread_mutex_unlock(&c->ms->mu);
    atomic_store(&c->ms->up, false);
    mysql_close(c->mysql);
    c->mysql = NULL;
    c->tally = false;
}

bool
wsc__my_conn_dead(struct my_conn *c)
{
    if (c->mysql == NULL || (int)mysql_get_socket(c->mysql) < 0)
        return true; /* the connector closed it (it saw the server gone) */
    struct pollfd p = {.fd = (int)mysql_get_socket(c->mysql), .events = POLLIN};
    /* An idle connection has nothing to read: readable means EOF (server restarted or
     * closed it) or an error packet, after which it is of no use. */
    return poll(&p, 1, 0) != 0;
}
