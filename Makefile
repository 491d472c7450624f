# npo - top-level Makefile. One plain Makefile builds everything into build/.
#
#   make            build libnpo.a, every service and npoctl
#   make test       set up a private cluster on free ports, run every test
#   make run        install, build, start the local cluster under ./var, load sample data
#   make stop       stop what `make run` started
#   make bench      benchmarks (results in docs/PERFORMANCE.md)
#   make clean      remove build/ (var/ is kept: `make distclean` removes it too)
#   make distclean  also stop the cluster and delete its state
#   SAN=1           build with ASan + UBSan (into build-san/)

SAN ?=
ifeq ($(SAN),1)
B       := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
B       := build
SANFLAGS :=
endif

CC      ?= cc
PKGS    := libzmq libprotobuf-c libpq libevent hiredis jansson libsodium libqrencode
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers \
           -Icommon -I$(B)/proto $(PKG_CFLAGS) $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
LDLIBS  := $(PKG_LIBS) -lm -pthread

PROTOS      := $(wildcard proto/*.proto)
PROTO_C     := $(patsubst proto/%.proto,$(B)/proto/%.pb-c.c,$(PROTOS))
PROTO_H     := $(PROTO_C:.c=.h)
COMMON_SRC  := $(wildcard common/*.c)
COMMON_OBJ  := $(patsubst %.c,$(B)/%.o,$(COMMON_SRC)) $(PROTO_C:.c=.o) $(B)/common/holiday_data.o
LIB         := $(B)/libnpo.a

# Every directory under services/ is one program; npoctl keeps its own name.
SERVICES    := $(notdir $(wildcard services/*))
binname      = $(if $(filter npoctl,$(1)),npoctl,$(if $(filter partybuilding,$(1)),npo-party,npo-$(1)))
BINS        := $(foreach s,$(SERVICES),$(B)/bin/$(call binname,$(s))) $(B)/bin/npo-selftest \
               $(B)/bin/npo-rawsend

.PHONY: all test run stop bench clean distclean deps check-deps divisions fuzz
all: check-deps $(BINS)

check-deps:
	@pkg-config --exists $(PKGS) && command -v protoc-c >/dev/null || \
	    { echo "missing build dependencies: run deploy/deps.sh (make run/test do it)"; exit 1; }

deps:
	@deploy/deps.sh

$(B)/proto/%.pb-c.c $(B)/proto/%.pb-c.h: proto/%.proto
	@mkdir -p $(B)/proto
	@echo "  PROTOC  $<"
	@protoc-c --proto_path=proto --c_out=$(B)/proto $<

$(B)/%.o: %.c $(PROTO_H) $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/proto/%.pb-c.o: $(B)/proto/%.pb-c.c
	@echo "  CC      $<"
	@$(CC) $(filter-out -Wextra,$(CFLAGS)) -c -o $@ $<

# The working-day calendar (docs/import.md 6.5): common/holidays.txt, the
# State Council's notices, as a C table
$(B)/common/holiday_data.c: common/holidays.txt tools/gen_holidays.sh
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@tools/gen_holidays.sh $@ common/holidays.txt

$(B)/common/holiday_data.o: $(B)/common/holiday_data.c $(PROTO_H) $(wildcard common/*.h)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

# SQL migrations are embedded in each binary: common/sql (the bus tables) first,
# then the service's own sql/ files, in name order.
$(B)/services/%/sql_embed.o: $(B)/services/%/sql_embed.c
	@$(CC) $(CFLAGS) -c -o $@ $<

define SERVICE_RULE
$(B)/services/$(1)/sql_embed.c: $(wildcard common/sql/*.sql services/$(1)/sql/*.sql) tools/embed_sql.sh
	@mkdir -p $$(dir $$@)
	@tools/embed_sql.sh $$@ $(wildcard common/sql/*.sql) $(wildcard services/$(1)/sql/*.sql)

$(B)/bin/$(call binname,$(1)): $(patsubst %.c,$(B)/%.o,$(wildcard services/$(1)/*.c)) \
        $(if $(wildcard services/$(1)/sql),$(B)/services/$(1)/sql_embed.o) $(LIB)
	@mkdir -p $(B)/bin
	@echo "  LD      $$@"
	@$(CC) $(LDFLAGS) -o $$@ $$^ $(LDLIBS)
endef
$(foreach s,$(SERVICES),$(eval $(call SERVICE_RULE,$(s))))

# The self-tests' own schema: common/sql's migrations
$(B)/tests/sql_embed.c: $(wildcard common/sql/*.sql) tools/embed_sql.sh
	@mkdir -p $(dir $@)
	@tools/embed_sql.sh $@ $(wildcard common/sql/*.sql)

$(B)/tests/sql_embed.o: $(B)/tests/sql_embed.c
	@$(CC) $(CFLAGS) -c -o $@ $<

$(B)/bin/npo-selftest: $(B)/tests/selftest.o $(B)/tests/sql_embed.o $(B)/services/npoctl/certpdf.o \
        $(LIB)
	@mkdir -p $(B)/bin
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bin/npo-rawsend: $(B)/tests/tools/rawsend.o $(LIB)
	@mkdir -p $(B)/bin
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

test: deps
	@$(MAKE) --no-print-directory all SAN=$(SAN)
	@NPO_BUILD=$(B) tests/run.sh

run: deps
	@$(MAKE) --no-print-directory all SAN=$(SAN)
	@NPO_BUILD=$(B) deploy/cluster.sh start
	@NPO_BUILD=$(B) deploy/cluster.sh load-sample
	@NPO_BUILD=$(B) deploy/cluster.sh url

stop:
	@deploy/cluster.sh stop

bench: deps
	@$(MAKE) --no-print-directory all
	@NPO_BUILD=build tests/bench/run.sh

divisions:
	tools/gen_divisions.sh

clean:
	rm -rf build build-san

distclean: clean
	@deploy/cluster.sh destroy

-include $(shell find $(B) -name '*.d' 2>/dev/null)
