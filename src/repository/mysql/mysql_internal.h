/* SPDX-License-Identifier: MIT */
/* The MySQL/MariaDB backend: one worker thread per store (the only thread wsc adds; started
 * by wsc__mysql_open, joined by wsc_store_close) owns the MYSQL connection and runs every
 * statement, so the loop never waits for the database.
 *
 * An op builds a job on the loop thread (its arguments copied into the job), pushes it on
 * the store's job queue (mutex + condvar) and arms the request's command timeout.  The
 * worker pops jobs in order, runs their prepared statements and writes the results into
 * the job only; finished jobs go to the done list and one wsc__loop_post per batch brings
 * them back to the loop thread, where the job's done function turns the rows into the
 * request's results and finishes it.  The worker never touches a request; the loop thread
 * never touches a job while it is queued or running. */
#ifndef WSC_REPOSITORY_MYSQL_INTERNAL_H
#define WSC_REPOSITORY_MYSQL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <mysql.h>

#include "repository/store_internal.h"

/** The prepared statements, by id (SQL text in mysql_schema.c). */
enum my_stmt_id {
    MY_PING,
    MY_OFF_INSERT,
    MY_OFF_INSERT_SENDER,
    MY_OFF_TALLY_LOCK,
    MY_OFF_INSERT_PLAIN,
    MY_OFF_EXPIRES,
    MY_OFF_DROP_EXPIRED,
    MY_OFF_FETCH,
    MY_OFF_REMOVE,
    MY_OFF_COUNT,
    MY_OFF_CLEAR,
    MY_REC_PUT,
    MY_REC_UPDATE,
    MY_REC_GET,
    MY_REC_REMOVE,
    MY_ON_SET,
    MY_ON_REFRESH,
    MY_ON_REMOVE,
    MY_ON_GET,
    MY_CONN_CONNECT,
    MY_CONN_ADD,
    MY_CONN_DISCONNECT,
    MY_CONN_GET,
    MY_PURGE_OFF,
    MY_PURGE_REC,
    MY_PURGE_ON,
    MY_PURGE_CONN,
    MY_PURGE_TALLY,
    MY_STMT_COUNT
};

/** SQL text of each statement. */
extern const char *const wsc__my_sql[MY_STMT_COUNT];
/** The schema the library creates, statement by statement (docs/schema.sql holds the same
 *  text, joined with ";\n\n"); NULL-terminated.  WSC__MY_SCHEMA_VERSION is the version it
 *  writes into wsc_schema_version. */
extern const char *const wsc__my_schema[];
#define WSC__MY_SCHEMA_VERSION 1

/** A change to a table made by an older library: when check (a query answering one count)
 *  answers 0, the apply statements run in order (NULL-terminated). */
struct my_migration {
    const char *check;
    const char *apply[4];
};
/** The migrations, run on every connect after the schema; ended by a NULL check. */
extern const struct my_migration wsc__my_migrations[];

#define MY_MAX_ARGS 24

/** A statement parameter, owned by its job. */
struct my_arg {
    enum { MY_NULL, MY_STR, MY_I64, MY_U64 } type;
    char *s;
    unsigned long len;
    int64_t i;
};

/** One cell of a result row (strings NUL-terminated, owned by the job). */
struct my_cell {
    int64_t i;
    char *s;
    unsigned long len;
    bool null;
};

struct my_store;
struct my_conn;
struct my_job;

/** Runs on the worker: executes the job's statements, returns its status. */
typedef wsc_err (*my_run_fn)(struct my_conn *c, struct my_job *job);
/** Runs on the loop thread for a job that completed WSC_OK: fills req, returns its status. */
typedef wsc_err (*my_done_fn)(struct wsc__req *req, struct my_job *job);

struct my_job {
    struct my_job *next;
    struct wsc__req *req; /* a reference; touched on the loop thread only */
    enum my_stmt_id stmt; /* what the default run executes */
    my_run_fn run;
    my_done_fn done;
    uint64_t enqueued_ms; /* monotonic */
    bool oom;             /* an argument could not be copied */
    struct my_arg args[MY_MAX_ARGS];
    unsigned nargs;
    /* Results, written by the worker. */
    wsc_err status;
    uint64_t affected;
    struct my_cell *cells;
    size_t nrows, ncols, cap;
    char errtext[200];
};

/** The worker's connection and its prepared statements (worker thread only). */
struct my_conn {
    struct my_store *ms;
    MYSQL *mysql; /* NULL while down */
    MYSQL_STMT *stmts[MY_STMT_COUNT];
    uint64_t retry_at_ms, backoff_ms, purge_at_ms;
    bool tally; /* the offline tally's triggers are in place (mysql_tally.c) */
};

struct my_store {
    wsc_store base; /* must stay first */
    struct wsc__repos repos;
    char host[256], user[128], password[128], db[128];
    unsigned port;
    pthread_t thread;
    bool started;
    /* Shared between the loop thread and the worker, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct my_job *q_head, *q_tail;       /* jobs to run */
    size_t q_reads;                       /* of them, offline reads (wsc__my_job_first) */
    struct my_job *done_head, *done_tail; /* jobs finished, for the loop thread */
    bool post_pending;                    /* a flush is posted to the loop */
    char conn_err[200]; /* why the last connect failed, for the flush to publish ("" once done) */
    bool stop;
    int sock; /* the connection's socket while up (close shuts it down), else -1 */
    atomic_bool up;
};

/** Offline reads (fetch, count) run before the writes queued ahead of them: a replay is
 *  not held behind a backlog of stores and removes (a write already answered is always
 *  visible to them; one still queued may not be).  Every other job runs in order. */
static inline bool
wsc__my_job_first(enum my_stmt_id stmt)
{
    return stmt == MY_OFF_FETCH || stmt == MY_OFF_COUNT;
}

/* ---- loop side (mysql.c) ---- */
/** A job for stmt (run NULL: execute stmt with the job's arguments); NULL when out of
 *  memory. */
struct my_job *wsc__my_job_new(enum my_stmt_id stmt, my_run_fn run, my_done_fn done);
void wsc__my_job_free(struct my_job *job);
/** Appends a parameter (s copied; s NULL binds SQL NULL).  A NULL job (its allocation failed)
 *  is ignored, so an op binds its arguments and hands the job to wsc__my_start unchecked. */
void wsc__my_arg_str(struct my_job *job, const char *s);
void wsc__my_arg_strn(struct my_job *job, const char *s, size_t len);
void wsc__my_arg_i64(struct my_job *job, int64_t v);
void wsc__my_arg_u64(struct my_job *job, uint64_t v);
/** Queues job for the worker on req's behalf (job's done fills req).  WSC_ERR_NOMEM (job NULL
 *  or short of memory: job freed, req untouched); WSC_OK: req finishes exactly once. */
wsc_err wsc__my_start(struct my_store *ms, struct wsc__req *req, struct my_job *job);
/** The cell (row, col) of a job's result. */
static inline const struct my_cell *
wsc__my_cell(const struct my_job *job, size_t row, size_t col)
{
    return &job->cells[row * job->ncols + col];
}
/** done functions shared by the entities. */
wsc_err wsc__my_done_ok(struct wsc__req *req, struct my_job *job);
wsc_err wsc__my_done_affected(struct wsc__req *req, struct my_job *job);

/* ---- worker side (mysql_worker.c, mysql_exec.c) ---- */
/** Starts the worker.  WSC_ERR_NOMEM/WSC_ERR_IO. */
wsc_err wsc__my_worker_start(struct my_store *ms);
/** Stops and joins the worker (a statement in progress is cut short by shutting its socket
 *  down); jobs still queued or done stay on their lists. */
void wsc__my_worker_stop(struct my_store *ms);
/** Executes statement id with args on c, storing affected rows and result rows in job.
 *  WSC_ERR_STORE on failure (job->errtext says why; a lost connection is dropped). */
wsc_err wsc__my_exec(struct my_conn *c, enum my_stmt_id id, const struct my_arg *args,
                     unsigned nargs, struct my_job *job);
/** Sets up the offline tally's triggers on m when they are missing (mysql_tally.c): true
 *  when they are in place; false (job->errtext says why) when they cannot be. */
bool wsc__my_tally_setup(MYSQL *m, struct my_job *job);
/** True for an error number that means the connection is gone (it is then closed). */
bool wsc__my_lost(unsigned eno);
/** Connects, sets the session up and creates the schema.  WSC_ERR_STORE. */
wsc_err wsc__my_conn_open(struct my_conn *c, char *err, size_t errlen);
/** Closes the statements and the connection. */
void wsc__my_conn_close(struct my_conn *c);
/** True when the server has closed the idle connection (readable or hung up). */
bool wsc__my_conn_dead(struct my_conn *c);

extern const struct wsc_offline_repo_ops wsc__my_offline_ops;
extern const struct wsc_record_repo_ops wsc__my_record_ops;
extern const struct wsc_online_repo_ops wsc__my_online_ops;
extern const struct wsc_connrec_repo_ops wsc__my_connrec_ops;

#endif
