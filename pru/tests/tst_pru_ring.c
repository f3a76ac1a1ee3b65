// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* Ring arithmetic: free-running u32 indices, wrap, full/empty, capacity. */
#include "pru_test.h"
#include "prudaq_proto.h"

static struct prudaq_shm shm;

static struct prudaq_msg msg(u16 type, u32 arg0)
{
	struct prudaq_msg m;

	memset(&m, 0, sizeof(m));
	m.canary = PRUDAQ_CANARY_MSG;
	m.type = type;
	m.arg0 = arg0;
	return m;
}

static void arithmetic(void)
{
	CHECK_EQ(prudaq_ring_fill(5, 2), 3);
	CHECK_EQ(prudaq_ring_space(5, 2, 16), 13);
	CHECK(prudaq_ring_empty(7, 7));
	CHECK(!prudaq_ring_empty(8, 7));
	CHECK(prudaq_ring_full(23, 7, 16));
	CHECK(!prudaq_ring_full(22, 7, 16));
	/* Across the u32 wrap: head 2 is 4 past tail 0xfffffffe. */
	CHECK_EQ(prudaq_ring_fill(2u, 0xfffffffeu), 4);
	CHECK_EQ(prudaq_ring_space(2u, 0xfffffffeu, 16), 12);
	CHECK(prudaq_ring_full(0x0000000cu, 0xfffffffcu, 16));
	/* Slots are index mod capacity. */
	CHECK_EQ(prudaq_ring_slot(0xffffffffu, 16), 15);
	CHECK_EQ(prudaq_ring_slot(16, 16), 0);
	CHECK_EQ(prudaq_ring_slot(517, 512), 5);
	/* Snapshots clamp: tail read after head may be past it; never above cap. */
	CHECK_EQ(prudaq_ring_fill_snapshot(3, 5, 16), 0);
	CHECK_EQ(prudaq_ring_fill_snapshot(100, 0, 16), 16);
	CHECK_EQ(prudaq_ring_fill_snapshot(1, 0xffffffffu, 16), 2);
}

static void capacity(void)
{
	prudaq_shm_init(&shm);
	CHECK_EQ(shm.msg_to_pru0.cap, 16);
	CHECK_EQ(shm.buf[0].cap, 512);
	CHECK_EQ(sizeof(shm.msg_to_pru0.slot) / sizeof(shm.msg_to_pru0.slot[0]), 16);
	CHECK_EQ(sizeof(shm.buf[1].s) / sizeof(shm.buf[1].s[0]), 512);
}

/* Fill a ring that starts 8 before the u32 wrap, overfill it, empty it. */
static void msg_ring_wrap(void)
{
	struct prudaq_msg_ring *r;
	struct prudaq_msg m;
	u32 i;

	prudaq_shm_init(&shm);
	r = &shm.msg_from_pru0;
	r->head = 0xfffffff8u;
	r->tail = 0xfffffff8u;
	CHECK_EQ(prudaq_msg_pop(r, &m), PRUDAQ_E_EMPTY);
	for (i = 0; i < 16; i++) {
		m = msg(PRUDAQ_MSG_PONG, 100 + i);
		CHECK_EQ(prudaq_msg_push(r, &m), PRUDAQ_OK);
	}
	CHECK_EQ(r->head, 8);			/* 0xfffffff8 + 16 wrapped */
	CHECK_EQ(prudaq_msg_fill(r), 16);
	m = msg(PRUDAQ_MSG_PONG, 999);
	CHECK_EQ(prudaq_msg_push(r, &m), PRUDAQ_E_FULL);
	CHECK_EQ(r->dropped, 1);
	CHECK_EQ(r->head, 8);			/* a refused push leaves head alone */
	for (i = 0; i < 16; i++) {
		CHECK_EQ(prudaq_msg_pop(r, &m), PRUDAQ_OK);
		CHECK_EQ(m.arg0, 100 + i);	/* FIFO order across the wrap */
		CHECK_EQ(m.type, PRUDAQ_MSG_PONG);
	}
	CHECK_EQ(prudaq_msg_pop(r, &m), PRUDAQ_E_EMPTY);
	CHECK_EQ(r->tail, 8);
	CHECK_EQ(prudaq_msg_fill(r), 0);
	/* The slot for index 0xfffffff8 is 8; index 7 is slot 7. */
	CHECK_EQ(r->slot[8].arg0, 100);
	CHECK_EQ(r->slot[7].arg0, 115);
}

static void msg_canary(void)
{
	struct prudaq_msg_ring *r;
	struct prudaq_msg m;

	prudaq_shm_init(&shm);
	r = &shm.msg_to_pru0;
	m = msg(PRUDAQ_MSG_PING, 1);
	prudaq_msg_push(r, &m);
	m = msg(PRUDAQ_MSG_PING, 2);
	prudaq_msg_push(r, &m);
	r->slot[0].canary = 0xdeadbeef;		/* someone scribbled on slot 0 */
	CHECK_EQ(prudaq_msg_pop(r, &m), PRUDAQ_E_CANARY);
	CHECK_EQ(r->tail, 1);			/* consumed anyway: no wedge */
	CHECK_EQ(prudaq_msg_pop(r, &m), PRUDAQ_OK);
	CHECK_EQ(m.arg0, 2);
	/* A push re-arms the canary of the slot it writes. */
	CHECK_EQ(r->slot[0].canary, 0xdeadbeef);
	r->head = r->tail = 16;
	m = msg(PRUDAQ_MSG_PING, 3);
	prudaq_msg_push(r, &m);
	CHECK_EQ(r->slot[0].canary, PRUDAQ_CANARY_MSG);
}

static void sample_buf(void)
{
	struct prudaq_sample_buf *b;
	struct prudaq_sample s, out[100];
	u32 i;

	prudaq_shm_init(&shm);
	b = &shm.buf[0];
	b->head = b->tail = 0xffffff00u;	/* wraps after 256 samples */
	for (i = 0; i < 512; i++) {
		s.seq = i;
		s.chan = 0;
		s.value = (s16)(i * 2);
		CHECK(prudaq_buf_put(b, &s) == PRUDAQ_OK);
	}
	CHECK_EQ(prudaq_buf_fill(b), 512);
	CHECK_EQ(prudaq_buf_put(b, &s), PRUDAQ_E_FULL);
	CHECK_EQ(b->head, 0x100u);		/* 0xffffff00 + 512 */
	CHECK_EQ(prudaq_buf_get(b, out, 100), 100);
	CHECK_EQ(out[0].seq, 0);
	CHECK_EQ(out[99].seq, 99);
	CHECK_EQ(out[99].value, 198);
	CHECK_EQ(prudaq_buf_fill(b), 412);
	CHECK_EQ(prudaq_buf_drop(b, 1000), 412);	/* only what is there */
	CHECK_EQ(prudaq_buf_fill(b), 0);
	CHECK_EQ(prudaq_buf_get(b, out, 100), 0);
	CHECK_EQ(b->tail, b->head);
}

int main(void)
{
	RUN(arithmetic);
	RUN(capacity);
	RUN(msg_ring_wrap);
	RUN(msg_canary);
	RUN(sample_buf);
	return pru_test_done();
}
