/*
** lua.c — the `lua-inc` and `lua-gen` peers: real Lua 5.4 (Debian's liblua5.4, 5.4.4) as a
** collector back-end through its C API, so that every workload and every trace runs on the
** real lgc.c: `lua-inc` in incremental mode (LUA_GCINC), `lua-gen` in generational mode
** (LUA_GCGEN). docs/lua.md has the design, the measurements and what differs from Lua itself.
**
** Objects. Every gcscope object is a full userdata (lua_newuserdatauv) whose memory block
** holds the gcs_obj header, the slots and the payload:
**
**     container: [ Udata 40 ][ UValue 16 x nslots ][ gcs_obj | slots | payload ]
**     atom:      [ Udata0 32 ][ gcs_obj | payload ]
**
** A container has one user value per slot and every store is mirrored there
** (lua_setiuservalue, whose luaC_barrierback is Lua's own write barrier), so Lua's collector
** sees exactly gcscope's references; the slots themselves stay the copy workloads read. Lua
** limits user values to USHRT_MAX - 1: a container with more slots has one user value, a
** table of nslots entries (lua_createtable), and its stores are lua_rawseti into it (an array
** is a table in Lua). Roots: the shadow stack's root k is entry k + 1 of the root table, held
** at stack index 1 of the state (lua_rawseti; frame pops write nil). A new object stays in
** the anchor, stack index 2, until the next allocation: gcscope's contract is that it is
** stored by then.
**
** Core hooks: GCS_BARRIER_SLOT, ops->store_slot (gcs_store) and ops->root_slot
** (gcs_root_set, gcs_frame_pop). Both need the Lua value of an object from its gcs_obj
** pointer, which the C API does not give: pushobj pushes the Udata's address as a light
** userdata and retags that stack slot as a full userdata (the TValue a lua_pushvalue of it
** would copy). That, the free hook, the pacing debt and is_garbage read 5.4.4's layouts
** (lstate.h's lua_State and global_State heads, lobject.h's Udata), mirrored below;
** check_layout verifies every field used against the API at every open and refuses to start
** on another layout.
**
** Memory. lua_newstate with a counting lua_Alloc (lalloc) over gcscope's arena
** (allocator=arena) or malloc (system, jemalloc, mimalloc), so every byte Lua holds, its own
** tables and strings included, is in the allocator's figures. lalloc recognises a gcs object
** being freed (a block whose header is a userdata without metatable and whose length is its
** gcs_obj's size) and reports it with gcs_heap_freed. The core's block bytes (prefix_*) count
** the Udata header, not the 16-byte user values (the core's prefix is per kind, not per slot):
** the allocator's figures have them.
**
** Pauses: Lua has no pause hook; knob timing.
**   exact (default): the automatic collector stopped (LUA_GCSTOP; in 5.4.4 the debt keeps
**     growing while stopped). After each allocation, where Lua's own luaC_checkGC runs, a
**     positive GCdebt calls lua_gc(LUA_GCSTEP, 1), timed. The 1 KiB that call adds is taken
**     back with LUA_GCSTEP -1 after an incremental step that did not end the cycle (incstep
**     set the debt relative to it); a cycle's end (setpause) and a generational step
**     (setminordebt) set it outright. So the work per byte allocated is Lua's; each
**     incremental step is 1 KiB larger (1/8 of the default 8 KiB) and comes 1 KiB later.
**   approx: the automatic collector on (Lua's own steps inside lua_newuserdatauv); every
**     allocating call timed (two wall-clock reads), logged as a pause when a step ran in it
**     (the debt moved by other than the bytes allocated, objects were freed, the cycle
**     sentinel ran or gcstate moved) and it took longer than approx_cutoff_us (default 0:
**     every step). A time cut-off alone logs page faults and preemptions as pauses
**     (docs/lua.md has the measurement). The CPU clock is not read at the start of every
**     call (15 us a read on this project's machine): a pause's CPU time is logged equal to
**     its wall time.
** Kinds: incremental step (GCS_PAUSE_STEP), a step that ran atomic (GCS_PAUSE_ATOMIC),
** generational minor (GCS_PAUSE_COLLECT, generation 0) and major (GCS_PAUSE_FULL,
** generation 1: GCestimate or lastatomic moved), explicit collections. Objects visited: 0
** (Lua does not count them); freed: gcs objects freed in it.
**
** Cycles: a finalizer sentinel (a userdata with a __gc metamethod, re-created by its own
** finalizer) counts the collections that reached their finalizers: report's collections.
**
** Invariants (verify): the bytes lalloc holds == lua_gc(LUA_GCCOUNT/LUA_GCCOUNTB);
** GCS_DEBUG >= 2: every live object's user values are its slots, the root table is the
** shadow stack.
**
** Build macros: GCS_DEBUG (>= 2: verify walks the objects). Compiled with pkg-config's lua5.4
** flags.
*/
#include <lauxlib.h>
#include <lua.h>

#include "collectors/collectors.h"
#include "core/internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* Lua 5.4.4's layouts (lstate.h, lobject.h, lgc.h): the fields read, checked at open    */
/* ------------------------------------------------------------------------------------ */

typedef struct tvalue {       /* lobject.h TValue */
  union { void *p; lua_Integer i; lua_Number n; } value_;
  unsigned char tt_;
} tvalue;

typedef struct lstate_head {  /* lstate.h struct lua_State, up to l_G */
  void *next;                 /* CommonHeader */
  unsigned char tt, marked;
  unsigned char status, allowhook;
  unsigned short nci;
  tvalue *top;                /* StkId: a StackValue is a TValue (16 bytes) */
  struct gstate_head *l_G;
} lstate_head;

typedef struct gstate_head {  /* lstate.h global_State, up to gcstepsize */
  lua_Alloc frealloc;
  void *ud;
  ptrdiff_t totalbytes;       /* l_mem: bytes allocated - GCdebt */
  ptrdiff_t GCdebt;           /* bytes allocated not yet compensated by the collector */
  size_t GCestimate;          /* lu_mem: live memory estimate (generational: after the last major) */
  size_t lastatomic;          /* non-zero after a bad major collection (genstep) */
  struct { void *hash; int nuse, size; } strt;
  tvalue l_registry, nilvalue;
  unsigned int seed;
  unsigned char currentwhite, gcstate, gckind, gcstopem, genminormul, genmajormul, gcstp,
      gcemergency, gcpause, gcstepmul, gcstepsize;
} gstate_head;

typedef struct udata_head {   /* lobject.h Udata up to gclist (Udata0: up to metatable) */
  void *next;                 /* CommonHeader */
  unsigned char tt, marked;
  unsigned short nuvalue;
  size_t len;
  void *metatable;
  void *gclist;
} udata_head;

#define UDATA0_MEM 32u                        /* udatamemoffset(0) */
#define UDATA_MEM(nuv) (40u + 16u * (nuv))    /* udatamemoffset(nuv), nuv > 0 */
#define LUA_VUSERDATA_TAG LUA_TUSERDATA       /* makevariant(LUA_TUSERDATA, 0) */
#define LUA_VLIGHTUSERDATA_TAG LUA_TLIGHTUSERDATA
#define BIT_ISCOLLECTABLE (1 << 6)
#define WHITEBITS 0x18                        /* bit2mask(WHITE0BIT 3, WHITE1BIT 4) */
#define GCSatomic 2
#define GCSenteratomic 1
#define GCSswpallgc 3
#define GCSswpend 6
#define GCSpause 8
#define KGC_INC 0
#define KGC_GEN 1
#define UV_MAX (USHRT_MAX - 1)                /* lua_newuserdatauv: nuvalue < USHRT_MAX */

enum { ROOTS = 1, ANCHOR = 2, BASE = 2 };    /* stack slots of the state */
enum { TIMING_EXACT = 0, TIMING_APPROX = 1 };

static struct {
  lua_State *L;              /* the state of the open heap; NULL when closed */
  gstate_head *g;            /* its global_State */
  int mode;                  /* LUA_GCINC | LUA_GCGEN */
  int timing;                /* TIMING_* (knob timing) */
  uint64_t cutoff_ns;        /* approx: pauses logged above this (knob approx_cutoff_us) */
  bool active;               /* a heap is open: count cycles and frees */
  bool closing;              /* lua_close is running: the sentinel is not re-created */
  uint64_t inuse;            /* bytes lalloc holds for Lua == gettotalbytes */
  uint64_t freed;            /* gcs objects Lua freed since open */
  uint64_t cycles;           /* sentinel finalizer runs since open */
  size_t roots_hw;           /* root-table entries written: 1..roots_hw may be non-nil */
} lua;

/* ------------------------------------------------------------------------------------ */
/* Memory: the counting lua_Alloc                                                        */
/* ------------------------------------------------------------------------------------ */

static inline uint32_t uvalues(const gcs_obj *o) {
  if (o->kind == GCS_ATOM) return 0;
  return o->nslots <= UV_MAX ? o->nslots : 1;
}

static inline size_t mem_offset(uint32_t nuv) {
  return nuv == 0 ? UDATA0_MEM : UDATA_MEM(nuv);
}

static inline udata_head *udata_of(const gcs_obj *o) {
  return (udata_head *)((char *)(uintptr_t)o - mem_offset(uvalues(o)));
}

/* The gcs object in block b of osize bytes, or NULL: a full userdata without metatable (the
** sentinel has one) whose length is exactly what is left of the block and is its object's
** size. */
static gcs_obj *block_object(void *b, size_t osize) {
  const udata_head *u = b;
  if (osize < UDATA0_MEM + sizeof(gcs_obj) || u->tt != LUA_VUSERDATA_TAG || u->metatable) return NULL;
  size_t off = mem_offset(u->nuvalue);
  if (off + u->len != osize) return NULL;
  gcs_obj *o = (gcs_obj *)((char *)b + off);
  if (o->kind > GCS_ATOM || gcs_obj_size(o) != u->len || uvalues(o) != u->nuvalue) return NULL;
  return o;
}

static void give(void *p, size_t n) {
  if (gcs_heap.allocator == GCS_ALLOC_ARENA) gcs_arena_free(p, n);
  else free(p);
}

/* lua_Alloc: realloc semantics (lmem.c l_alloc), counted; a gcs object freed is reported. */
static void *lalloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (ptr == NULL) osize = 0;   /* osize is then the type tag of the new object */
  if (nsize == 0) {
    if (ptr) {
      gcs_obj *o = lua.active ? block_object(ptr, osize) : NULL;
      if (o) {
        lua.freed++;
        gcs_heap_freed(o);
      }
      give(ptr, osize);
      lua.inuse -= osize;
    }
    return NULL;
  }
  void *p;
  if (gcs_heap.allocator != GCS_ALLOC_ARENA) {
    p = realloc(ptr, nsize);
  } else if (ptr && osize <= GCS_ARENA_SMALL_MAX && nsize <= GCS_ARENA_SMALL_MAX &&
             (osize + 15) / 16 == (nsize + 15) / 16) {
    p = ptr;                    /* the same size class */
  } else {
    p = gcs_arena_alloc(nsize);
    if (p && ptr) {
      memcpy(p, ptr, osize < nsize ? osize : nsize);
      gcs_arena_free(ptr, osize);
    }
  }
  if (p) lua.inuse += nsize - osize;
  return p;
}

static int panic(lua_State *L) {
  const char *msg = lua_tostring(L, -1);
  gcs_fatal("lua: unprotected error: %s (%llu bytes held, %llu objects live)%s", msg ? msg : "?",
            (unsigned long long)lua.inuse, (unsigned long long)gcs_heap.live_objects, gcs_fault_note());
}

/* ------------------------------------------------------------------------------------ */
/* Objects on the Lua stack                                                              */
/* ------------------------------------------------------------------------------------ */

/* Pushes the full userdata whose memory is o (NULL: nil). o is live (reachable in Lua:
** mirrored in a slot, a root or the anchor), so the value cannot resurrect a dead object. */
static inline void pushobj(lua_State *L, const gcs_obj *o) {
  if (!o) {
    lua_pushnil(L);
    return;
  }
  lua_pushlightuserdata(L, udata_of(o));
  ((lstate_head *)L)->top[-1].tt_ = LUA_VUSERDATA_TAG | BIT_ISCOLLECTABLE;
}

/* ------------------------------------------------------------------------------------ */
/* Pauses                                                                                */
/* ------------------------------------------------------------------------------------ */

typedef struct gcmark {
  unsigned char state;       /* gcstate */
  size_t estimate;           /* GCestimate */
  size_t lastatomic;         /* lastatomic */
  uint64_t freed;            /* lua.freed */
} gcmark;

static inline gcmark mark_now(void) {
  return (gcmark){lua.g->gcstate, lua.g->GCestimate, lua.g->lastatomic, lua.freed};
}

/* What ran since m: an incremental step (atomic when it crossed the atomic phase, the cycle
** seen as pause -> propagate .. enteratomic -> [atomic] -> sweeps -> callfin -> pause), or a
** generational minor or major collection (a major resets GCestimate or sets lastatomic). */
static void log_pause(gcs_pause_token_t t, gcmark m) {
  const gstate_head *g = lua.g;
  uint64_t freed = lua.freed - m.freed;
  if (lua.mode == LUA_GCGEN) {
    bool major = g->GCestimate != m.estimate || m.lastatomic != 0 || g->lastatomic != 0;
    gcs_pause_end(t, major ? GCS_PAUSE_FULL : GCS_PAUSE_COLLECT, major ? 1 : 0, 0, freed);
    return;
  }
  int from = m.state == GCSpause ? -1 : m.state;
  int to = g->gcstate == GCSpause ? GCSpause + 1 : g->gcstate;
  bool atomic = from <= GCSenteratomic && to >= GCSswpallgc;
  gcs_pause_end(t, atomic ? GCS_PAUSE_ATOMIC : GCS_PAUSE_STEP, -1, 0, freed);
}

/* exact: Lua's luaC_checkGC at the point it would run, as a timed lua_gc(LUA_GCSTEP). */
static GCS_NOINLINE void step_(void) {
  gcmark m = mark_now();
  bool was = gcs_heap.collecting;
  gcs_heap.collecting = true;
  gcs_pause_token_t t = gcs_pause_begin();
  int ended = lua_gc(lua.L, LUA_GCSTEP, 1);
  if (lua.mode == LUA_GCINC && !ended) lua_gc(lua.L, LUA_GCSTEP, -1);
  log_pause(t, m);
  gcs_heap.collecting = was;
}

/* ------------------------------------------------------------------------------------ */
/* The ops                                                                               */
/* ------------------------------------------------------------------------------------ */

/* A gcs object: the userdata (and the table of a large container), anchored; exact: a step
** if the debt is positive; approx: the calls timed, a pause when a step ran in them. */
static gcs_obj *alloc_object(uint32_t nslots, uint32_t payload, int kind) {
  lua_State *L = lua.L;
  const gstate_head *g = lua.g;
  size_t size = sizeof(gcs_obj) + (size_t)nslots * sizeof(gcs_obj *) + payload;
  int nuv = kind == GCS_ATOM ? 0 : nslots <= UV_MAX ? (int)nslots : 1;
  bool timed = lua.timing == TIMING_APPROX && gcs_pause_logging;
  gcmark m = {0};
  uint64_t t0 = 0, inuse = lua.inuse, freed = lua.freed, cycles = lua.cycles;
  ptrdiff_t debt = g->GCdebt;
  unsigned char state = g->gcstate;
  if (timed) {
    m = mark_now();
    t0 = gcs_now_ns();
  }
  if (gcs_fault_inject(GCS_FAULT_PEER)) {   /* as if Lua refused: its own tryagain, then error */
    lua_gc(L, LUA_GCCOLLECT, 0);
    if (gcs_fault_inject(GCS_FAULT_PEER))
      gcs_fatal("out of memory: Lua refused a userdata of %zu bytes after a full collection, with %llu"
                " objects live%s", size, (unsigned long long)gcs_heap.live_objects, gcs_fault_note());
  }
  gcs_obj *o = lua_newuserdatauv(L, size, nuv);
  if (kind == GCS_CONTAINER && nslots > UV_MAX) {
    lua_createtable(L, (int)nslots, 0);
    lua_setiuservalue(L, -2, 1);
  }
  lua_replace(L, ANCHOR);
  if (timed) {
    /* Without a step the debt moved by exactly the bytes allocated (lmem.c), nothing was
    ** freed, no finalizer ran and the state stayed. A step sets the debt; a generational
    ** collection may set it where it was (a steady heap, same threshold), but then it freed
    ** or ran the sentinel. */
    uint64_t dt = gcs_now_ns() - t0;
    bool stepped = g->GCdebt - debt != (ptrdiff_t)(lua.inuse - inuse) || lua.freed != freed ||
                   lua.cycles != cycles || g->gcstate != state;
    if (dt > lua.cutoff_ns && stepped) {
      gcs_pause_token_t t = {t0, gcs_thread_cpu_ns() - dt};   /* on the CPU throughout */
      log_pause(t, m);
    }
  } else if (lua.timing == TIMING_EXACT && g->GCdebt > 0) {
    step_();
  }
  o->kind = (uint8_t)kind;    /* the core fills the rest; block_object reads these */
  o->nslots = nslots;
  o->payload = payload;
  return o;
}

static void store_slot(gcs_obj *o, uint32_t i, gcs_obj *v, gcs_obj *old) {
  if (v == old) return;
  lua_State *L = lua.L;
  pushobj(L, o);
  if (o->nslots > UV_MAX) {
    lua_getiuservalue(L, -1, 1);
    pushobj(L, v);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  } else {
    pushobj(L, v);
    lua_setiuservalue(L, -2, (int)i + 1);
  }
  lua_settop(L, BASE);
}

static void root_slot(gcs_obj **root, gcs_obj *v, gcs_obj *old) {
  if (v == old) return;
  size_t k = (size_t)(root - gcs_heap.roots_base) + 1;
  if (k > lua.roots_hw) lua.roots_hw = k;
  pushobj(lua.L, v);
  lua_rawseti(lua.L, ROOTS, (lua_Integer)k);
}

/* Explicit collection: lua-gen's generation 0 and 1 are a minor collection (LUA_GCSTEP 0:
** genstep with no debt), anything else lua_gc(LUA_GCCOLLECT). The anchor is let go first
** (a floating object is garbage at a collection, gcs.h). */
static uint64_t collect(int generation) {
  lua_State *L = lua.L;
  lua_pushnil(L);
  lua_replace(L, ANCHOR);
  bool minor = lua.mode == LUA_GCGEN && (generation == 0 || generation == 1);
  uint64_t freed = lua.freed;
  gcs_pause_token_t t = gcs_pause_begin();
  if (minor) lua_gc(L, LUA_GCSTEP, 0);
  else lua_gc(L, LUA_GCCOLLECT);
  freed = lua.freed - freed;
  gcs_pause_end(t, minor ? GCS_PAUSE_COLLECT : GCS_PAUSE_FULL, minor ? 0 : -1, 0, freed);
  return freed;
}

/* The finalizer sentinel: counts a cycle and makes the next one (upvalue 1: its metatable). */
static void new_sentinel(lua_State *L) {
  lua_newuserdatauv(L, 1, 0);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_setmetatable(L, -2);
  lua_pop(L, 1);
}

static int sentinel_gc(lua_State *L) {
  if (lua.active) lua.cycles++;
  if (!lua.closing) new_sentinel(L);
  return 0;
}

static int first_sentinel(lua_State *L) {
  new_sentinel(L);
  return 0;
}

/* Every field this file reads of Lua's internals, checked against the API. 0 or ENOTSUP
** with the reason printed. */
static int check_layout(lua_State *L, int pause, int stepmul, int stepsize, int minormul,
                        int majormul) {
  const char *bad = NULL;
  gstate_head *g = ((lstate_head *)L)->l_G;
  int marker;
  lua_pushlightuserdata(L, &marker);
  tvalue *top = ((lstate_head *)L)->top;
  if (g->frealloc != lalloc || g->ud != &lua) bad = "global_State's frealloc/ud";
  else if ((uint64_t)(g->totalbytes + g->GCdebt) != lua.inuse) bad = "global_State's totalbytes/GCdebt";
  else if (top[-1].value_.p != &marker || top[-1].tt_ != LUA_VLIGHTUSERDATA_TAG) bad = "lua_State's top";
  else if (lua.mode == LUA_GCINC && (g->gckind != KGC_INC || g->gcpause != pause / 4 ||
                                     g->gcstepmul != stepmul / 4 || g->gcstepsize != stepsize))
    bad = "global_State's gcpause/gcstepmul/gcstepsize";
  else if (lua.mode == LUA_GCGEN && (g->gckind != KGC_GEN || g->genminormul != minormul ||
                                     g->genmajormul != majormul / 4))
    bad = "global_State's genminormul/genmajormul";
  lua_pop(L, 1);
  for (int nuv = 0; nuv < 3 && !bad; nuv++) {
    uint64_t before = lua.inuse;
    ptrdiff_t debt = g->GCdebt;
    char *mem = lua_newuserdatauv(L, 24, nuv);
    memset(mem, 0xff, 24);    /* kind 0xff: never taken for a gcs object when it is freed */
    udata_head *u = (udata_head *)(mem - mem_offset((uint32_t)nuv));
    if (lua.inuse - before != mem_offset((uint32_t)nuv) + 24 || u->tt != LUA_VUSERDATA_TAG ||
        u->nuvalue != nuv || u->len != 24 || u->metatable)
      bad = "Udata";
    else if (lua.timing == TIMING_EXACT && g->GCdebt - debt != (ptrdiff_t)(lua.inuse - before))
      bad = "the debt of a stopped collector (LUA_GCSTOP)";
    lua_pushlightuserdata(L, u);
    ((lstate_head *)L)->top[-1].tt_ = LUA_VUSERDATA_TAG | BIT_ISCOLLECTABLE;
    if (!bad && (lua_type(L, -1) != LUA_TUSERDATA || lua_touserdata(L, -1) != mem || !lua_rawequal(L, -1, -2)))
      bad = "a userdata's stack value";
    lua_pop(L, 2);
  }
  if (bad) {
    gcs_error("lua: this liblua5.4 does not have Lua 5.4.4's layout of %s (peers/lua/lua.c reads it)", bad);
    return ENOTSUP;
  }
  lua.g = g;
  return 0;
}

static int start(int mode) {
  memset(&lua, 0, sizeof lua);
  lua.mode = mode;
  lua.timing = (int)gcs_knob("timing");
  lua.cutoff_ns = (uint64_t)gcs_knob("approx_cutoff_us") * 1000u;
  lua_State *L = lua_newstate(lalloc, &lua);
  if (!L) return ENOMEM;
  lua.L = L;
  lua_atpanic(L, panic);
  lua_createtable(L, 0, 0);   /* ROOTS */
  lua_pushnil(L);             /* ANCHOR */
  luaL_newmetatable(L, "gcscope.cycle");
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, sentinel_gc, 1);
  lua_setfield(L, -2, "__gc");
  lua_pushcclosure(L, first_sentinel, 1);
  lua_call(L, 0, 0);
  int pause = 0, stepmul = 0, stepsize = 0, minormul = 0, majormul = 0;
  if (mode == LUA_GCINC) {
    pause = (int)gcs_knob("pause");
    stepmul = (int)gcs_knob("stepmul");
    stepsize = (int)gcs_knob("stepsize");
    lua_gc(L, LUA_GCINC, pause, stepmul, stepsize);
  } else {
    minormul = (int)gcs_knob("minormul");
    majormul = (int)gcs_knob("majormul");
    lua_gc(L, LUA_GCGEN, minormul, majormul);
  }
  lua_gc(L, LUA_GCCOLLECT);   /* the state's own objects settled; pacing from here */
  if (lua.timing == TIMING_EXACT) lua_gc(L, LUA_GCSTOP);
  int rc = check_layout(L, pause, stepmul, stepsize, minormul, majormul);
  if (rc) {
    lua_close(L);
    lua.L = NULL;
    return rc;
  }
  lua_settop(L, BASE);
  lua.active = true;
  return 0;
}

static int init_inc(void) { return start(LUA_GCINC); }
static int init_gen(void) { return start(LUA_GCGEN); }

/* lua_close frees what is left (the core has counted it as leaked already). */
static void fini(void) {
  lua.closing = true;
  lua_close(lua.L);
  if (lua.inuse != 0)
    gcs_error("lua: %llu bytes still held after lua_close", (unsigned long long)lua.inuse);
  memset(&lua, 0, sizeof lua);
}

/* Sweeping, an object of the other white is dead and not yet freed (lgc.h isdead). */
static bool is_garbage(const gcs_obj *o) {
  const gstate_head *g = lua.g;
  if (g->gcstate < GCSswpallgc || g->gcstate > GCSswpend) return false;
  return (udata_of(o)->marked & (g->currentwhite ^ WHITEBITS)) != 0;
}

static void report(gcs_gc_report_t *r) {
  r->ngenerations = 1;
  r->count[0] = lua_gc(lua.L, LUA_GCCOUNT);
  r->gen[0].collections = lua.cycles;
  r->gen[0].collected = lua.freed;
}

/* ------------------------------------------------------------------------------------ */
/* Verification: the mirror of every slot and root                                      */
/* ------------------------------------------------------------------------------------ */

#if GCS_DEBUG >= 2
static void check_value(lua_State *L, const gcs_obj *want, const char *what, const void *where,
                        uint64_t i, int *bad) {
  const void *got = lua_touserdata(L, -1);
  bool ok = want ? lua_type(L, -1) == LUA_TUSERDATA && got == want : lua_isnil(L, -1);
  if (!ok) {
    gcs_error("verify lua: %s %p [%llu] holds %p in Lua, %p in gcscope", what, where,
              (unsigned long long)i, got, (const void *)want);
    *bad = 1;
  }
  lua_pop(L, 1);
}

static void check_object(gcs_obj *o, void *arg) {
  int *bad = arg;
  lua_State *L = lua.L;
  udata_head *u = udata_of(o);
  if (block_object(u, mem_offset(uvalues(o)) + gcs_obj_size(o)) != o) {
    gcs_error("verify lua: %p is not a gcs userdata of its size", (void *)o);
    *bad = 1;
    return;
  }
  if (o->kind != GCS_CONTAINER || is_garbage(o)) return;
  pushobj(L, o);
  if (o->nslots > UV_MAX) {
    lua_getiuservalue(L, -1, 1);
    for (uint32_t i = 0; i < o->nslots; i++) {
      lua_rawgeti(L, -1, (lua_Integer)i + 1);
      check_value(L, o->slots[i], "slot", o, i, bad);
    }
  } else {
    for (uint32_t i = 0; i < o->nslots; i++) {
      lua_getiuservalue(L, -1, (int)i + 1);
      check_value(L, o->slots[i], "slot", o, i, bad);
    }
  }
  lua_settop(L, BASE);
}
#endif

static int verify(void) {
  int bad = 0;
  uint64_t counted = (uint64_t)lua_gc(lua.L, LUA_GCCOUNT) * 1024u + (uint64_t)lua_gc(lua.L, LUA_GCCOUNTB);
  if (counted != lua.inuse) {
    gcs_error("verify lua: Lua counts %llu bytes, lua_Alloc holds %llu", (unsigned long long)counted,
              (unsigned long long)lua.inuse);
    bad = 1;
  }
#if GCS_DEBUG >= 2
  gcs_heap_walk(check_object, &bad);
  size_t top = (size_t)(gcs_heap.roots_top - gcs_heap.roots_base);
  for (size_t k = 0; k < lua.roots_hw; k++) {
    lua_rawgeti(lua.L, ROOTS, (lua_Integer)k + 1);
    check_value(lua.L, k < top ? gcs_heap.roots_base[k] : NULL, "root", gcs_heap.roots_base, k, &bad);
  }
#endif
  return bad;
}

/* ------------------------------------------------------------------------------------ */
/* The ops tables                                                                        */
/* ------------------------------------------------------------------------------------ */

static const char *const timings[] = {"exact", "approx", NULL};

#define TIMING_KNOBS                                                                       \
  {"timing", TIMING_EXACT, 0, 1, timings,                                                  \
   "pauses: exact (collector stopped, LUA_GCSTEP at each allocation with a positive debt, " \
   "each timed) or approx (automatic; each allocating call timed, a pause when it stepped)"},          \
  {"approx_cutoff_us", 0, 0, 1000000, NULL,                                                \
   "timing=approx: an allocating call that ran a collector step is a pause when longer than this"}

static const gcs_knob_t inc_knobs[] = {
  {"pause", 200, 4, 1023 * 4, NULL, "LUA_GCINC pause, percent: a cycle starts when memory reaches this share of the live estimate (stored /4)"},
  {"stepmul", 100, 4, 1023 * 4, NULL, "LUA_GCINC stepmul, percent: work units per step relative to the bytes allocated (stored /4)"},
  {"stepsize", 13, 1, 40, NULL, "LUA_GCINC stepsize, log2 bytes: allocation between steps (13 = 8 KiB)"},
  TIMING_KNOBS,
  {NULL, 0, 0, 0, NULL, NULL},
};

static const gcs_knob_t gen_knobs[] = {
  {"minormul", 20, 1, 100, NULL, "LUA_GCGEN minormul, percent: a minor collection after memory grows this much"},
  {"majormul", 100, 4, 1023 * 4, NULL, "LUA_GCGEN majormul, percent: a major collection after memory grows this much past the last major (stored /4)"},
  TIMING_KNOBS,
  {NULL, 0, 0, 0, NULL, NULL},
};

/* What the two tables share: everything but the mode (init), the knobs and the names. */
#define LUA_PEER_OPS                         \
  .kind = "peer",                            \
  .barrier = GCS_BARRIER_SLOT,               \
  .prefix_container = UDATA_MEM(0),          \
  .prefix_atom = UDATA0_MEM,                 \
  .fini = fini,                              \
  .collect = collect,                        \
  .verify = verify,                          \
  .is_garbage = is_garbage,                  \
  .report = report,                          \
  .alloc_object = alloc_object,              \
  .store_slot = store_slot,                  \
  .root_slot = root_slot

const gcs_collector_ops gcs_collector_lua_inc = {
  .name = "lua-inc",
  .summary = "peer: real Lua 5.4 incremental collector (liblua5.4: lgc.c, full userdata with a user value per slot)",
  .knobs = inc_knobs,
  .init = init_inc,
  LUA_PEER_OPS,
};

const gcs_collector_ops gcs_collector_lua_gen = {
  .name = "lua-gen",
  .summary = "peer: real Lua 5.4 generational collector (liblua5.4: lgc.c, full userdata with a user value per slot)",
  .knobs = gen_knobs,
  .init = init_gen,
  LUA_PEER_OPS,
};
