// A bus transfer that stands for its size only. The layer engine's DMA port moves tensors whose
// values stay with the trainer (docs/architecture.md: the transfers carry sizes), so copying its
// bytes through the targets' memories only costs host time. With this ignorable extension
// (TLM-2.0 base protocol) a target takes the transfer's time and energy exactly as for any
// other and copies nothing; a target that does not know it copies, and only the host time changes.
#pragma once

#include <tlm>

namespace memgan {

struct SizeOnlyTransfer : tlm::tlm_extension<SizeOnlyTransfer> {
  tlm::tlm_extension_base* clone() const override { return new SizeOnlyTransfer(*this); }
  void copy_from(const tlm::tlm_extension_base&) override {}
};

// Whether a target has to move the transfer's bytes.
inline bool carries_data(const tlm::tlm_generic_payload& tx) { return tx.get_extension<SizeOnlyTransfer>() == nullptr; }

}  // namespace memgan
