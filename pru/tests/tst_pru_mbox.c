// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* Mailbox handshake: flag ownership, busy refusal, canaries. */
#include "pru_test.h"
#include "prudaq_proto.h"

static struct prudaq_shm shm;

static struct prudaq_msg corr(s32 ppb, s32 step)
{
	struct prudaq_msg m;

	memset(&m, 0, sizeof(m));
	m.canary = PRUDAQ_CANARY_MSG;
	m.type = PRUDAQ_MSG_SYNC_CORR;
	m.seq = 7;
	m.arg0 = (u32)ppb;
	m.arg1 = (u32)step;
	return m;
}

static void handshake(void)
{
	struct prudaq_mbox *mb;
	struct prudaq_msg m, got;

	prudaq_shm_init(&shm);
	mb = &shm.pru1_inbox;
	CHECK_EQ(mb->flag, 0);
	CHECK_EQ(prudaq_mbox_recv(mb, &got), PRUDAQ_E_EMPTY);

	m = corr(-50000, 0);
	CHECK_EQ(prudaq_mbox_send(mb, &m), PRUDAQ_OK);
	CHECK_EQ(mb->flag, 1);			/* now owned by the receiver */
	CHECK_EQ(mb->sent, 1);

	/* The receiver has not taken it: the next send is refused, nothing overwritten. */
	m = corr(123, 0);
	CHECK_EQ(prudaq_mbox_send(mb, &m), PRUDAQ_E_BUSY);
	CHECK_EQ(mb->busy, 1);
	CHECK_EQ(mb->sent, 1);

	CHECK_EQ(prudaq_mbox_recv(mb, &got), PRUDAQ_OK);
	CHECK_EQ(got.type, PRUDAQ_MSG_SYNC_CORR);
	CHECK_EQ(got.seq, 7);
	CHECK_EQ((s32)got.arg0, -50000);	/* the first message, not the refused one */
	CHECK_EQ(mb->flag, 0);			/* handed back to the sender */
	CHECK_EQ(prudaq_mbox_recv(mb, &got), PRUDAQ_E_EMPTY);

	m = corr(123, -7000000);
	CHECK_EQ(prudaq_mbox_send(mb, &m), PRUDAQ_OK);
	CHECK_EQ(prudaq_mbox_recv(mb, &got), PRUDAQ_OK);
	CHECK_EQ((s32)got.arg0, 123);
	CHECK_EQ((s32)got.arg1, -7000000);
	CHECK_EQ(mb->sent, 2);
}

static void canaries(void)
{
	struct prudaq_mbox *mb;
	struct prudaq_msg m, got;

	prudaq_shm_init(&shm);
	mb = &shm.pru1_outbox;
	m = corr(1, 0);
	prudaq_mbox_send(mb, &m);
	mb->msg.canary = 0;			/* harmed while in flight */
	CHECK_EQ(prudaq_mbox_recv(mb, &got), PRUDAQ_E_CANARY);
	CHECK_EQ(mb->flag, 0);			/* still released: no deadlock */
	/* The next send re-arms the message canary. */
	CHECK_EQ(prudaq_mbox_send(mb, &m), PRUDAQ_OK);
	CHECK_EQ(prudaq_mbox_recv(mb, &got), PRUDAQ_OK);
	/* The mailbox's own canary. */
	mb->canary = 1;
	prudaq_mbox_send(mb, &m);
	CHECK_EQ(prudaq_mbox_recv(mb, &got), PRUDAQ_E_CANARY);
	CHECK_EQ(prudaq_shm_check_canaries(&shm), 1u << PRUDAQ_CID_MBOX);
}

static void layout(void)
{
	u32 i;

	prudaq_shm_init(&shm);
	CHECK_EQ(shm.magic, 0x51445250u);
	CHECK_EQ(shm.size, 9040);
	CHECK_EQ(prudaq_shm_check_canaries(&shm), 0);
	shm.msg_from_pru0.canary_end = 0;
	shm.buf[1].canary = 0;
	CHECK_EQ(prudaq_shm_check_canaries(&shm),
		 (1u << PRUDAQ_CID_FROM_PRU0) | (1u << (PRUDAQ_CID_BUF0 + 1)));
	/* The offsets kmodscope's decoder tests rely on (NULL + 0x174). */
	CHECK_EQ(offsetof(struct prudaq_shm, msg_from_pru0.head), 0x174);
	CHECK_EQ(offsetof(struct prudaq_shm, buf[0]) % 16, 0);
	CHECK_EQ(offsetof(struct prudaq_shm, buf[1]) % 16, 0);
	for (i = 0; i < PRUDAQ_NUM_BUFS; i++)
		CHECK_EQ(shm.buf[i].canary_end, PRUDAQ_CANARY_BUF);
}

int main(void)
{
	RUN(handshake);
	RUN(canaries);
	RUN(layout);
	return pru_test_done();
}
