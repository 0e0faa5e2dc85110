// Data dependencies of a GAN step's operations (core/train/op_readiness.h), op by op.
#include <gtest/gtest.h>

#include "core/train/op_readiness.h"

namespace memgan::train {
namespace {

TrainOp op(TrainOpcode c, Model m = Model::Generator, uint16_t layer = 0, uint8_t arg = 0) {
  TrainOp o;
  o.opcode = c, o.model = m, o.layer = layer, o.arg = arg;
  return o;
}

constexpr Model G = Model::Generator, D = Model::Discriminator;

TEST(OpReadiness, ForwardChainsAndTheDiscriminatorsTwoInputs) {
  OpReadiness r(2, 2);
  r.done(op(TrainOpcode::Latent), 10);
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, G, 0)), 10u) << "the latent";
  r.done(op(TrainOpcode::Forward, G, 0), 30);
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, G, 1)), 30u);
  r.done(op(TrainOpcode::Forward, G, 1), 50);
  // The real batch does not wait for the generator.
  EXPECT_EQ(r.ready(op(TrainOpcode::LoadReal)), 0u);
  r.done(op(TrainOpcode::LoadReal), 20);
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, D, 0, 0)), 20u) << "real slot: the real batch";
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, D, 0, 1)), 50u) << "fake slot: the generator's output";
  r.done(op(TrainOpcode::Forward, D, 0, 0), 25);
  r.done(op(TrainOpcode::Forward, D, 0, 1), 60);
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, D, 1, 0)), 25u) << "slots are separate values";
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, D, 1, 1)), 60u);
  r.done(op(TrainOpcode::Forward, D, 1, 0), 35);
  r.done(op(TrainOpcode::Forward, D, 1, 1), 70);
  EXPECT_EQ(r.ready(op(TrainOpcode::Loss, D, 0, uint8_t(LossKind::DiscriminatorReal))), 35u);
  EXPECT_EQ(r.ready(op(TrainOpcode::Loss, D, 0, uint8_t(LossKind::Generator))), 70u);
  EXPECT_EQ(r.last_end(), 70u);
  EXPECT_EQ(r.ready(op(TrainOpcode::StepEnd)), 70u) << "a barrier";
}

TEST(OpReadiness, BackwardWeightAndDataOfALayerOverlapAndUpdatesWaitTheirGradients) {
  OpReadiness r(2, 3);
  r.done(op(TrainOpcode::Loss, D, 0, uint8_t(LossKind::DiscriminatorFake)), 100);
  EXPECT_EQ(r.ready(op(TrainOpcode::BackwardWeight, D, 2)), 100u);
  EXPECT_EQ(r.ready(op(TrainOpcode::BackwardData, D, 2)), 100u) << "both read the output gradient only";
  r.done(op(TrainOpcode::BackwardWeight, D, 2), 180);
  r.done(op(TrainOpcode::BackwardData, D, 2), 130);
  EXPECT_EQ(r.ready(op(TrainOpcode::BackwardData, D, 1)), 130u) << "not the slower weight gradient";
  r.done(op(TrainOpcode::BackwardData, D, 1), 150);  // a batch norm: no weight-gradient op
  r.done(op(TrainOpcode::BackwardData, D, 0), 170);
  EXPECT_EQ(r.ready(op(TrainOpcode::Update, D, 2)), 180u);
  EXPECT_EQ(r.ready(op(TrainOpcode::Update, D, 1)), 150u) << "batch norm: its backward-data";
  r.done(op(TrainOpcode::Update, D, 2), 200);
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, D, 2, 1)), 200u) << "the next forward waits for the new weights";
  // The generator's output gradient is the discriminator's input gradient.
  EXPECT_EQ(r.ready(op(TrainOpcode::BackwardData, G, 1)), 170u);
  EXPECT_EQ(r.ready(op(TrainOpcode::BackwardWeight, G, 1)), 170u);
  EXPECT_THROW(r.ready(op(TrainOpcode::Forward, G, 5)), std::out_of_range);
  EXPECT_THROW(OpReadiness(0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace memgan::train
