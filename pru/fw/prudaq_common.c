// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * prudaq shared-memory helpers: message rings, mailboxes and sample buffers.
 * Compiled into the PRU firmware, into prudaq.ko and into the host tests.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#include "prudaq_proto.h"

static void prudaq_ring_init(struct prudaq_msg_ring *ring)
{
	u32 i;

	ring->canary = PRUDAQ_CANARY_RING;
	ring->head = 0;
	ring->tail = 0;
	ring->cap = PRUDAQ_MSG_SLOTS;
	for (i = 0; i < PRUDAQ_MSG_SLOTS; i++) {
		ring->slot[i].canary = PRUDAQ_CANARY_MSG;
		ring->slot[i].type = PRUDAQ_MSG_NONE;
		ring->slot[i].seq = 0;
		ring->slot[i].arg0 = 0;
		ring->slot[i].arg1 = 0;
	}
	ring->canary_end = PRUDAQ_CANARY_RING;
	ring->dropped = 0;
	ring->pad[0] = 0;
	ring->pad[1] = 0;
}

static void prudaq_mbox_init(struct prudaq_mbox *mbox)
{
	mbox->canary = PRUDAQ_CANARY_MBOX;
	mbox->flag = 0;
	mbox->sent = 0;
	mbox->busy = 0;
	mbox->msg.canary = PRUDAQ_CANARY_MSG;
	mbox->msg.type = PRUDAQ_MSG_NONE;
	mbox->msg.seq = 0;
	mbox->msg.arg0 = 0;
	mbox->msg.arg1 = 0;
}

static void prudaq_buf_init(struct prudaq_sample_buf *buf)
{
	u32 i;

	buf->canary = PRUDAQ_CANARY_BUF;
	buf->head = 0;
	buf->tail = 0;
	buf->cap = PRUDAQ_BUF_SLOTS;
	buf->overflow = 0;
	buf->backpressure = 0;
	buf->pad[0] = 0;
	buf->pad[1] = 0;
	for (i = 0; i < PRUDAQ_BUF_SLOTS; i++) {
		buf->s[i].seq = 0;
		buf->s[i].chan = 0;
		buf->s[i].value = 0;
	}
	buf->canary_end = PRUDAQ_CANARY_BUF;
	buf->pad2[0] = 0;
	buf->pad2[1] = 0;
	buf->pad2[2] = 0;
}

/* Done by the host (kernel) before either PRU core starts. */
void prudaq_shm_init(struct prudaq_shm *shm)
{
	u32 i;
	u32 *w = (u32 *)&shm->pru0;

	shm->magic = PRUDAQ_MAGIC;
	shm->version = PRUDAQ_VERSION;
	shm->size = sizeof(*shm);
	shm->canary = PRUDAQ_CANARY_SHM;
	for (i = 0; i < (sizeof(shm->pru0) + sizeof(shm->pru1)) / 4; i++)
		w[i] = 0;
	prudaq_ring_init(&shm->msg_to_pru0);
	prudaq_ring_init(&shm->msg_from_pru0);
	prudaq_mbox_init(&shm->pru1_trigger);
	prudaq_mbox_init(&shm->pru1_inbox);
	prudaq_mbox_init(&shm->pru1_outbox);
	for (i = 0; i < PRUDAQ_NUM_BUFS; i++)
		prudaq_buf_init(&shm->buf[i]);
	prudaq_wmb();
}

/* Producer side. Returns PRUDAQ_OK or PRUDAQ_E_FULL (counted in ->dropped). */
int prudaq_msg_push(struct prudaq_msg_ring *ring, const struct prudaq_msg *msg)
{
	u32 head = ring->head; /* only we write it */
	u32 tail = prudaq_rd32(&ring->tail);
	struct prudaq_msg *slot;

	if (prudaq_ring_full(head, tail, PRUDAQ_MSG_SLOTS)) {
		prudaq_wr32(&ring->dropped, ring->dropped + 1);
		return PRUDAQ_E_FULL;
	}
	/* The consumer must be done with the slot before we overwrite it. */
	prudaq_mb();
	slot = &ring->slot[prudaq_ring_slot(head, PRUDAQ_MSG_SLOTS)];
	slot->canary = PRUDAQ_CANARY_MSG;
	slot->type = msg->type;
	slot->seq = msg->seq;
	slot->arg0 = msg->arg0;
	slot->arg1 = msg->arg1;
	prudaq_wmb();
	prudaq_wr32(&ring->head, head + 1);
	return PRUDAQ_OK;
}

/*
 * Consumer side. Returns PRUDAQ_OK, PRUDAQ_E_EMPTY, or PRUDAQ_E_CANARY when
 * the slot's canary was harmed (the slot is consumed anyway, so one bad slot
 * cannot wedge the ring).
 */
int prudaq_msg_pop(struct prudaq_msg_ring *ring, struct prudaq_msg *msg)
{
	u32 tail = ring->tail; /* only we write it */
	u32 head = prudaq_rd32(&ring->head);
	const struct prudaq_msg *slot;
	int ret = PRUDAQ_OK;

	if (prudaq_ring_empty(head, tail))
		return PRUDAQ_E_EMPTY;
	prudaq_rmb();
	slot = &ring->slot[prudaq_ring_slot(tail, PRUDAQ_MSG_SLOTS)];
	if (slot->canary != PRUDAQ_CANARY_MSG)
		ret = PRUDAQ_E_CANARY;
	msg->canary = slot->canary;
	msg->type = slot->type;
	msg->seq = slot->seq;
	msg->arg0 = slot->arg0;
	msg->arg1 = slot->arg1;
	prudaq_mb();
	prudaq_wr32(&ring->tail, tail + 1);
	return ret;
}

u32 prudaq_msg_fill(const struct prudaq_msg_ring *ring)
{
	u32 head = prudaq_rd32(&ring->head);
	u32 tail = prudaq_rd32(&ring->tail);

	return prudaq_ring_fill_snapshot(head, tail, PRUDAQ_MSG_SLOTS);
}

/*
 * Mailbox handshake: the sender writes the message, then sets flag = 1; the
 * receiver reads the message, then clears flag. A full mailbox refuses the
 * next send (PRUDAQ_E_BUSY, counted in ->busy).
 */
int prudaq_mbox_send(struct prudaq_mbox *mbox, const struct prudaq_msg *msg)
{
	if (prudaq_rd32(&mbox->flag)) {
		prudaq_wr32(&mbox->busy, mbox->busy + 1);
		return PRUDAQ_E_BUSY;
	}
	prudaq_mb();
	mbox->msg.canary = PRUDAQ_CANARY_MSG;
	mbox->msg.type = msg->type;
	mbox->msg.seq = msg->seq;
	mbox->msg.arg0 = msg->arg0;
	mbox->msg.arg1 = msg->arg1;
	prudaq_wmb();
	prudaq_wr32(&mbox->sent, mbox->sent + 1);
	prudaq_wr32(&mbox->flag, 1);
	return PRUDAQ_OK;
}

/* Returns PRUDAQ_OK, PRUDAQ_E_EMPTY, or PRUDAQ_E_CANARY (message consumed). */
int prudaq_mbox_recv(struct prudaq_mbox *mbox, struct prudaq_msg *msg)
{
	int ret = PRUDAQ_OK;

	if (!prudaq_rd32(&mbox->flag))
		return PRUDAQ_E_EMPTY;
	prudaq_rmb();
	if (mbox->canary != PRUDAQ_CANARY_MBOX ||
	    mbox->msg.canary != PRUDAQ_CANARY_MSG)
		ret = PRUDAQ_E_CANARY;
	msg->canary = mbox->msg.canary;
	msg->type = mbox->msg.type;
	msg->seq = mbox->msg.seq;
	msg->arg0 = mbox->msg.arg0;
	msg->arg1 = mbox->msg.arg1;
	prudaq_mb();
	prudaq_wr32(&mbox->flag, 0);
	return ret;
}

/* PRU0 side: PRUDAQ_OK or PRUDAQ_E_FULL (the caller counts the overflow). */
int prudaq_buf_put(struct prudaq_sample_buf *buf, const struct prudaq_sample *s)
{
	u32 head = buf->head;
	u32 tail = prudaq_rd32(&buf->tail);
	struct prudaq_sample *slot;

	if (prudaq_ring_full(head, tail, PRUDAQ_BUF_SLOTS))
		return PRUDAQ_E_FULL;
	prudaq_mb();
	slot = &buf->s[prudaq_ring_slot(head, PRUDAQ_BUF_SLOTS)];
	slot->seq = s->seq;
	slot->chan = s->chan;
	slot->value = s->value;
	prudaq_wmb();
	prudaq_wr32(&buf->head, head + 1);
	return PRUDAQ_OK;
}

/* Consumer side: copies up to max samples into out (if not NULL). */
u32 prudaq_buf_get(struct prudaq_sample_buf *buf, struct prudaq_sample *out,
		   u32 max)
{
	u32 tail = buf->tail;
	u32 head = prudaq_rd32(&buf->head);
	u32 n = prudaq_ring_fill_snapshot(head, tail, PRUDAQ_BUF_SLOTS);
	u32 i;

	if (n > max)
		n = max;
	if (!n)
		return 0;
	prudaq_rmb();
	if (out) {
		for (i = 0; i < n; i++) {
			const struct prudaq_sample *slot =
				&buf->s[prudaq_ring_slot(tail + i, PRUDAQ_BUF_SLOTS)];

			out[i].seq = slot->seq;
			out[i].chan = slot->chan;
			out[i].value = slot->value;
		}
	}
	prudaq_mb();
	prudaq_wr32(&buf->tail, tail + n);
	return n;
}

u32 prudaq_buf_drop(struct prudaq_sample_buf *buf, u32 max)
{
	return prudaq_buf_get(buf, NULL, max);
}

u32 prudaq_buf_fill(const struct prudaq_sample_buf *buf)
{
	u32 head = prudaq_rd32(&buf->head);
	u32 tail = prudaq_rd32(&buf->tail);

	return prudaq_ring_fill_snapshot(head, tail, PRUDAQ_BUF_SLOTS);
}

/* Bit (1 << PRUDAQ_CID_x) set for each harmed canary. */
u32 prudaq_shm_check_canaries(const struct prudaq_shm *shm)
{
	u32 bad = 0;
	u32 i;

	if (prudaq_rd32(&shm->canary) != PRUDAQ_CANARY_SHM)
		bad |= 1u << PRUDAQ_CID_SHM;
	if (prudaq_rd32(&shm->msg_to_pru0.canary) != PRUDAQ_CANARY_RING ||
	    prudaq_rd32(&shm->msg_to_pru0.canary_end) != PRUDAQ_CANARY_RING)
		bad |= 1u << PRUDAQ_CID_TO_PRU0;
	if (prudaq_rd32(&shm->msg_from_pru0.canary) != PRUDAQ_CANARY_RING ||
	    prudaq_rd32(&shm->msg_from_pru0.canary_end) != PRUDAQ_CANARY_RING)
		bad |= 1u << PRUDAQ_CID_FROM_PRU0;
	if (prudaq_rd32(&shm->pru1_trigger.canary) != PRUDAQ_CANARY_MBOX ||
	    prudaq_rd32(&shm->pru1_inbox.canary) != PRUDAQ_CANARY_MBOX ||
	    prudaq_rd32(&shm->pru1_outbox.canary) != PRUDAQ_CANARY_MBOX)
		bad |= 1u << PRUDAQ_CID_MBOX;
	for (i = 0; i < PRUDAQ_NUM_BUFS; i++) {
		if (prudaq_rd32(&shm->buf[i].canary) != PRUDAQ_CANARY_BUF ||
		    prudaq_rd32(&shm->buf[i].canary_end) != PRUDAQ_CANARY_BUF)
			bad |= 1u << (PRUDAQ_CID_BUF0 + i);
	}
	return bad;
}
