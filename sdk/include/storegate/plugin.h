/*
 * storegate plugin ABI, version 1 — the only contract between storegated and a plugin.
 *
 * Shape: an "hourglass". This header is plain C; a plugin `.so` exports exactly one
 * symbol, `storegate_plugin_query`, and everything else crosses as the PODs below:
 * `(ptr, len)` strings and byte views, opaque handles and C function pointers. No C++
 * type and no exception ever crosses. The C++ SDK (`storegate/sdk.hpp`) is compiled
 * *into* each plugin and turns this table into classes.
 *
 * Versions: 1.0, 1.1 (appended sg_plugin_vtable.query), 1.2 (appended
 * sg_plugin_vtable.validate and sg_plugin_descriptor.schemas/schema_count).
 *
 * Evolution rules (append-only):
 *   - Every table starts with `struct_size`. A minor version only appends fields to the
 *     end of a table; a reader treats any field that lies past `struct_size` as absent.
 *   - A major version change is a new ABI; the host and the plugin negotiate a version
 *     both speak (see storegate_plugin_query) or the host refuses the plugin.
 *   - Enumerations only gain values. 0 means "OK" for statuses and "unspecified" for kinds.
 *   - Tables passed as ARRAYS (sg_event, sg_property, sg_config_value, sg_property_schema)
 *     are frozen at their 1.0 layout for all of ABI 1: the reader indexes them with its
 *     own sizeof, so they never grow (new per-element data goes in a new parallel table).
 *     The host refuses an array whose elements' struct_size is not exactly its own.
 *   - storegate_plugin_query returns a descriptor for a version inside the host's range:
 *     to a 1.0 host a 1.2 plugin answers as 1.0 (its tables' struct_size cut to 1.0's).
 *
 * Memory rule: memory is freed on the side that allocated it. Everything the host hands
 * to a plugin is borrowed for the duration of that call only (copy what you keep);
 * everything the plugin hands to the host is copied by the host before the call returns.
 */
#ifndef STOREGATE_PLUGIN_H
#define STOREGATE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SG_ABI_MAJOR 1
#define SG_ABI_MINOR 2
/* A version as one number: major in the high 16 bits, minor in the low 16 bits. */
#define SG_ABI_VERSION(major, minor) ((uint32_t)(((uint32_t)(major) << 16) | (uint32_t)(minor)))
#define SG_ABI_VERSION_MAJOR(v) ((uint32_t)(v) >> 16)
#define SG_ABI_VERSION_MINOR(v) ((uint32_t)(v)&0xFFFFu)

/* The one exported symbol's name, for loaders. */
#define SG_PLUGIN_QUERY_SYMBOL "storegate_plugin_query"

/* ---- Basic views ------------------------------------------------------------------ */

/* A borrowed UTF-8 string, not necessarily NUL-terminated. {NULL, 0} is the empty string. */
typedef struct sg_str {
  const char* ptr;
  size_t len;
} sg_str;

/* A borrowed byte view. */
typedef struct sg_bytes {
  const uint8_t* ptr;
  size_t len;
} sg_bytes;

/* Builds an sg_str from a string literal at compile time. */
#define SG_STR(literal) \
  { (literal), sizeof(literal) - 1 }

/* ---- Status codes ------------------------------------------------------------------ */

/* Returned by every fallible function on both sides of the boundary. Before returning
 * anything but SG_OK, a plugin should explain itself with sg_host.set_error. */
typedef int32_t sg_status;
enum {
  SG_OK = 0,
  SG_ERR_FAILED = 1,       /* generic failure; the message says why */
  SG_ERR_INVALID = 2,      /* an argument or a config value is not acceptable */
  SG_ERR_BACKPRESSURE = 3, /* emit: the buffer is full under a `block` policy; retry later */
  SG_ERR_CLOSED = 4,       /* the instance is stopping or stopped; calls are refused */
  SG_ERR_RETRY = 5,        /* deliver: nothing more accepted now; retry after a delay */
  SG_ERR_REJECTED = 6,     /* deliver: the next event can never be accepted (dead-letter) */
  SG_ERR_UNSUPPORTED = 7,  /* optional operation not implemented */
  SG_ERR_NOT_FOUND = 8,    /* state_get: no such key */
  SG_ERR_TIMEOUT = 9,      /* an operation did not finish in time */
  SG_ERR_NO_MEMORY = 10
};

/* ---- Events ------------------------------------------------------------------------ */

/* One event: CloudEvents 1.0 attributes plus the store's own. A view; all pointers are
 * borrowed for the duration of the call that passes it.
 *
 * On emit the plugin fills `type` (required), `data` and whatever else it knows; the
 * host fills what is left empty: `id` (a unique id), `source` (the instance name),
 * `time_unix_ns` (now, when 0), `datacontenttype` ("application/json"). `storeid` and
 * `sequence` are set by the host and ignored on emit.
 * On deliver every field is set. */
typedef struct sg_event {
  uint32_t struct_size;
  uint32_t reserved0;
  sg_str id;
  sg_str source;
  sg_str type;    /* e.g. "store.pos.receipt" */
  sg_str subject; /* optional, e.g. a till or a zone */
  sg_str datacontenttype;
  sg_str dedupkey; /* optional; an event whose key was seen recently is acknowledged, not stored
                      again */
  sg_str storeid;  /* host-set */
  int64_t time_unix_ns;
  uint64_t sequence; /* host-set: position in the durable log */
  sg_bytes data;
} sg_event;

/* ---- Configuration properties (declared as data) ----------------------------------- */

typedef uint32_t sg_prop_type;
enum {
  SG_PROP_UNSPECIFIED = 0,
  SG_PROP_STRING = 1,
  SG_PROP_INT = 2,
  SG_PROP_DOUBLE = 3,
  SG_PROP_BOOL = 4,
  SG_PROP_DURATION = 5, /* "250ms", "5s", "2m", "1h" or an integer of milliseconds */
  SG_PROP_SIZE = 6,     /* "512", "64KiB", "8MiB", "1GiB", "10KB" */
  SG_PROP_ENUM = 7,     /* a string, one of `allowed` */
  SG_PROP_LIST = 8,     /* a sequence; handed over as JSON text */
  SG_PROP_OBJECT = 9    /* a mapping; handed over as JSON text */
};

typedef uint32_t sg_prop_flags;
enum {
  SG_PROP_REQUIRED = 1u << 0,   /* no default: the config must set it */
  SG_PROP_SECRET = 1u << 1,     /* never logged, echoed or shown by the host */
  SG_PROP_RELOADABLE = 1u << 2, /* may change through `reconfigure` without a restart */
  SG_PROP_HAS_MIN = 1u << 3,    /* `min` applies (INT, DOUBLE, DURATION, SIZE) */
  SG_PROP_HAS_MAX = 1u << 4,    /* `max` applies */
  SG_PROP_PATH = 1u << 5        /* STRING naming a file or directory: the host resolves a
                                   relative value against the config file's directory */
};

/* One config property a plugin accepts. Durations bound in milliseconds, sizes in bytes. */
typedef struct sg_property {
  uint32_t struct_size;
  sg_prop_type type;
  sg_str name;          /* snake_case; dotted groups allowed, e.g. "tls.ca_file" */
  sg_str description;   /* one sentence for the docs, the JSON Schema and the console */
  sg_str default_value; /* in the config's own text form ("5s", "64MiB", "[]"); empty: none */
  sg_prop_flags flags;
  uint32_t reserved0;
  double min;
  double max;
  const sg_str* allowed; /* ENUM: the allowed values */
  size_t allowed_count;
} sg_property;

/* One resolved config value, handed to create/reconfigure. Every declared property is
 * present, defaults applied, already validated by the host against its declaration. */
typedef struct sg_config_value {
  uint32_t struct_size;
  sg_prop_type type;
  sg_str name;
  int64_t int_value;   /* INT, BOOL (0/1), DURATION (ms), SIZE (bytes) */
  double double_value; /* DOUBLE; also INT as a double */
  sg_str text;         /* STRING, ENUM; LIST and OBJECT as JSON text */
  uint32_t is_set;     /* 0 when the property is optional, has no default and is absent */
  uint32_t reserved0;
} sg_config_value;

typedef struct sg_config {
  uint32_t struct_size;
  uint32_t reserved0;
  const sg_config_value* values;
  size_t count;
} sg_config;

/* ---- Host side ----------------------------------------------------------------------- */

/* Opaque: the host's handle for one plugin instance. Valid from create until destroy
 * returns. Every host function takes it first. */
typedef struct sg_host_ctx sg_host_ctx;

typedef uint32_t sg_log_level;
enum {
  SG_LOG_UNSPECIFIED = 0,
  SG_LOG_TRACE = 1,
  SG_LOG_DEBUG = 2,
  SG_LOG_INFO = 3,
  SG_LOG_WARN = 4,
  SG_LOG_ERROR = 5
};

typedef uint32_t sg_metric_kind;
enum {
  SG_METRIC_UNSPECIFIED = 0,
  SG_METRIC_COUNTER_ADD = 1, /* add `value` to a monotonic counter */
  SG_METRIC_GAUGE_SET = 2    /* set a gauge to `value` */
};

/* Receives a state value; `value` is borrowed for the duration of the callback only. */
typedef void (*sg_state_receiver)(void* user, sg_bytes value);

/* What the host offers a plugin. The table is owned by the host and outlives every
 * instance. Every function is thread-safe: any plugin thread may call it at any time
 * between create and the return of stop. After stop returns, calls through the
 * instance's context fail with SG_ERR_CLOSED and the host reports the plugin as having
 * left a thread running (its library is then never unloaded).
 * Never call a host function from inside another host function's callback. */
typedef struct sg_host {
  uint32_t struct_size;
  uint32_t abi_version; /* SG_ABI_VERSION the host speaks to this plugin */

  /* Writes one structured log line attributed to the instance. Never fails. */
  void (*log)(sg_host_ctx* ctx, sg_log_level level, sg_str message);

  /* Attaches a human-readable reason to the status the plugin is about to return from
   * the current call, or records the instance's latest error at any other time. Copied. */
  void (*set_error)(sg_host_ctx* ctx, sg_str message);

  /* Hands one event to the durable buffer. Copies it. Returns SG_OK once the event is as
   * durable as the gateway's durability mode promises (in `sync` mode: on disk), or a
   * duplicate of a recent `dedupkey` was acknowledged. SG_ERR_BACKPRESSURE: buffer full,
   * retry later. SG_ERR_INVALID: the event is malformed (e.g. no type). SG_ERR_CLOSED. */
  sg_status (*emit)(sg_host_ctx* ctx, const sg_event* event);

  /* Hands `count` events over as one unit, paying for durability once. On SG_OK all are
   * accepted. On failure none is (the whole batch may be retried). */
  sg_status (*emit_batch)(sg_host_ctx* ctx, const sg_event* events, size_t count);

  /* Persistent per-instance key/value state, surviving restarts and hot swaps. A new
   * build of the plugin sees its predecessor's state. `state_get` calls `receive` at most
   * once, synchronously, and returns SG_ERR_NOT_FOUND when the key is absent. */
  sg_status (*state_get)(sg_host_ctx* ctx, sg_str key, sg_state_receiver receive, void* user);
  sg_status (*state_put)(sg_host_ctx* ctx, sg_str key, sg_bytes value);
  sg_status (*state_delete)(sg_host_ctx* ctx, sg_str key);

  /* Updates a metric named `name` (snake_case), labelled with the instance. */
  void (*metric)(sg_host_ctx* ctx, sg_str name, sg_metric_kind kind, double value);

  /* Wall-clock time, Unix epoch nanoseconds. Tests may run the host on a fake clock. */
  int64_t (*now_unix_ns)(sg_host_ctx* ctx);
} sg_host;

/* ---- Plugin side --------------------------------------------------------------------- */

/* Opaque: the plugin's own instance object. */
typedef struct sg_instance sg_instance;

typedef uint32_t sg_plugin_kind;
enum {
  SG_KIND_UNSPECIFIED = 0,
  SG_KIND_SOURCE = 1u << 0, /* emits events */
  SG_KIND_SINK = 1u << 1    /* receives events through deliver */
};

typedef uint32_t sg_plugin_flags;
enum {
  /* The library leaves nothing behind after destroy (no thread, no atexit handler, no
   * callback registered with a third-party library), so the host may dlclose it. Without
   * this flag an old build is retired on hot swap: kept mapped, and reported as such. */
  SG_PLUGIN_UNLOAD_SAFE = 1u << 0
};

typedef uint32_t sg_health_level;
enum {
  SG_HEALTH_UNSPECIFIED = 0,
  SG_HEALTH_OK = 1,
  SG_HEALTH_DEGRADED = 2, /* working, but something needs attention (set_error says what) */
  SG_HEALTH_FAILING = 3   /* not doing its job */
};

/* What create receives. Borrowed for the duration of create. */
typedef struct sg_create_args {
  uint32_t struct_size;
  uint32_t reserved0;
  sg_str instance_name; /* unique in the gateway, e.g. "front_door_camera" */
  sg_str store_id;
  const sg_config* config;
} sg_create_args;

/* What deliver reports back beside its status. */
typedef struct sg_delivery_result {
  uint32_t struct_size;
  uint32_t reserved0;
  size_t accepted;        /* events accepted from the front of the batch */
  int64_t retry_after_ms; /* SG_ERR_RETRY: wait at least this long (0: host's backoff) */
} sg_delivery_result;

/* Receives the answer to a query (ABI 1.1): the body's media type (e.g. "image/png") and
 * the bytes. Both are borrowed for the call; the host copies them. */
typedef void (*sg_reply_fn)(void* user, sg_str media_type, sg_bytes body);

/* Receives one problem a plugin's validate found (ABI 1.2): `path` within the instance's
 * config (e.g. "lines[0].points"; empty: the config as a whole) and what is wrong, for
 * people. Both are borrowed for the call; the host copies them. */
typedef void (*sg_issue_fn)(void* user, sg_str path, sg_str message);

/* The plugin's functions. The host calls them from its own threads and never calls
 * two of them concurrently for one instance, except `health`, which may come at any time
 * between start and stop. Required: create, start, stop, destroy; deliver for sinks. */
typedef struct sg_plugin_vtable {
  uint32_t struct_size;
  uint32_t reserved0;

  /* Builds an instance from a validated config. Should not start threads or do I/O that
   * can wait; that belongs in start. On success stores the instance in *out. On failure
   * returns a status, explains with set_error, and leaves nothing allocated. */
  sg_status (*create)(const sg_host* host, sg_host_ctx* ctx, const sg_create_args* args,
                      sg_instance** out);

  /* Starts the instance's work (threads, sockets). Returns promptly. */
  sg_status (*start)(sg_instance* instance);

  /* Optional (NULL: unsupported). Applies a new config whose changes are all to
   * SG_PROP_RELOADABLE properties, without stopping. On failure the old config stays. */
  sg_status (*reconfigure)(sg_instance* instance, const sg_config* config);

  /* Sinks: delivers a batch of events, in order. The batch is borrowed for the call.
   * SG_OK: all accepted. SG_ERR_RETRY: `result->accepted` from the front were accepted,
   * the rest should be retried (after `retry_after_ms`). SG_ERR_REJECTED: the first
   * `accepted` were accepted and the next one can never be (it is dead-lettered).
   * The host advances the sink's cursor durably only past accepted events. */
  sg_status (*deliver)(sg_instance* instance, const sg_event* events, size_t count,
                       sg_delivery_result* result);

  /* Optional. A command addressed to this instance (e.g. from the cloud). */
  sg_status (*command)(sg_instance* instance, sg_str name, sg_bytes payload);

  /* Optional. The instance's health now; detail through set_error. Must not block. */
  sg_health_level (*health)(sg_instance* instance);

  /* Stops all work. Returns only after every thread the instance started has joined and
   * no call into the host is in flight. `deadline_ms` is a hint of how long the host will
   * wait; the instance should finish in-flight work within it. */
  sg_status (*stop)(sg_instance* instance, int64_t deadline_ms);

  /* Frees the instance. Called once, after stop (or after a failed start). */
  void (*destroy)(sg_instance* instance);

  /* ABI 1.1. Optional (NULL, or past struct_size: unsupported). Answers a question about
   * the instance's present state with data, on an operator's request; e.g. "snapshot":
   * one camera frame with what the plugin sees drawn on it, as image/png. Called only
   * while running, from any host thread and concurrently with the other calls (like
   * health); destroy waits for it. It may wait for its answer, for a few seconds at most.
   * Answers by calling `reply` once, then returns SG_OK; SG_ERR_UNSUPPORTED for a name it
   * does not know, SG_ERR_TIMEOUT when the answer did not come (explained by set_error). */
  sg_status (*query)(sg_instance* instance, sg_str name, sg_bytes payload, sg_reply_fn reply,
                     void* user);

  /* ABI 1.2. Optional. Checks a config (already checked by the host against the declared
   * properties) by the plugin's own rules, without creating an instance, so that
   * `storegated --check-config` and a reload refuse what create would refuse. No I/O, no
   * threads, no allocation kept; may be called from any thread, concurrently with
   * anything, with no instance in existence. Calls `report` once per problem; returns
   * SG_OK when it found none, SG_ERR_INVALID when it reported any. */
  sg_status (*validate)(const sg_config* config, sg_issue_fn report, void* user);
} sg_plugin_vtable;

/* A JSON Schema (draft 2020-12, as text) for one LIST or OBJECT property, for documentation,
 * `storegated --plugin-schema` and the console (ABI 1.2). An array element: frozen layout. */
typedef struct sg_property_schema {
  sg_str property;    /* the property's name */
  sg_str json_schema; /* a JSON object, at most 64 KiB */
} sg_property_schema;

/* Describes a plugin build. Static data owned by the library; valid while it is loaded. */
typedef struct sg_plugin_descriptor {
  uint32_t struct_size;
  uint32_t abi_version; /* SG_ABI_VERSION this descriptor follows */
  sg_str name;          /* the plugin type, snake_case, e.g. "pos_file" */
  sg_str version;       /* the plugin's own version, e.g. "1.4.2" */
  sg_str vendor;
  sg_str description;
  sg_plugin_kind kinds;
  sg_plugin_flags flags;
  const sg_property* properties;
  size_t property_count;
  const sg_plugin_vtable* vtable;
  /* ABI 1.2. Optional (NULL/0). Schemas of LIST and OBJECT properties, by name. */
  const sg_property_schema* schemas;
  size_t schema_count;
} sg_plugin_descriptor;

/* The one exported symbol. The host passes the range of ABI versions it speaks
 * (SG_ABI_VERSION encoded, inclusive). The plugin returns a descriptor for a version in
 * that range (the newest it can), or NULL when it speaks none of them. Called from any
 * thread, possibly more than once; must not allocate or start anything. */
typedef const sg_plugin_descriptor* (*sg_plugin_query_fn)(uint32_t host_min_version,
                                                          uint32_t host_max_version);

#if defined(__GNUC__)
#define SG_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define SG_PLUGIN_EXPORT
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STOREGATE_PLUGIN_H */
