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


TEST(OpReadiness, MicroBatchesPipelineLayersPartByPart) {
  // Generator: layer 0 (a matrix), 1 (batch norm), 2 (an activation); three micro-batches.
  OpReadiness r(3, 1, 3, {false, true, false}, {false});
  EXPECT_EQ(r.micro_batches(), 3);
  EXPECT_EQ(r.parts(op(TrainOpcode::Forward, G, 0)), 3);
  EXPECT_EQ(r.parts(op(TrainOpcode::BackwardWeight, G, 0)), 3);
  EXPECT_EQ(r.parts(op(TrainOpcode::Update, G, 0)), 1) << "the weights are one value";
  EXPECT_EQ(r.parts(op(TrainOpcode::StepEnd)), 1);
  for (int p = 0; p < 3; ++p) r.done(op(TrainOpcode::Latent), p, uint64_t(10 * (p + 1)));
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, G, 0), 0), 10u) << "its own samples only";
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, G, 0), 2), 30u);
  r.done(op(TrainOpcode::Forward, G, 0), 0, 40);
  r.done(op(TrainOpcode::Forward, G, 0), 1, 50);
  r.done(op(TrainOpcode::Forward, G, 0), 2, 60);
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, G, 1), 0), 60u) << "batch norm: statistics of the whole batch";
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, G, 1), 2), 60u);
  r.done(op(TrainOpcode::Forward, G, 1), 0, 70);
  r.done(op(TrainOpcode::Forward, G, 1), 1, 80);
  r.done(op(TrainOpcode::Forward, G, 1), 2, 90);
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, G, 2), 0), 70u) << "after the batch norm, part by part again";
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, G, 2), 1), 80u);
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, D, 0, 1), 0), 0u) << "fake slot: the generator's last output";
  r.done(op(TrainOpcode::Forward, G, 2), 0, 75);
  r.done(op(TrainOpcode::Forward, G, 2), 1, 85);
  r.done(op(TrainOpcode::Forward, G, 2), 2, 95);
  EXPECT_EQ(r.ready(op(TrainOpcode::Forward, D, 0, 1), 1), 85u);
  // A weight gradient is whole with its last part, whichever order the parts end in.
  r.done(op(TrainOpcode::BackwardWeight, G, 0), 0, 300);
  r.done(op(TrainOpcode::BackwardWeight, G, 0), 1, 200);
  r.done(op(TrainOpcode::BackwardWeight, G, 0), 2, 250);
  EXPECT_EQ(r.ready(op(TrainOpcode::Update, G, 0)), 300u);
  // ... and the next step's first part overwrites it.
  r.done(op(TrainOpcode::BackwardWeight, G, 0), 0, 100);
  EXPECT_EQ(r.ready(op(TrainOpcode::Update, G, 0)), 100u);
  EXPECT_THROW(r.ready(op(TrainOpcode::Forward, G, 0), 3), std::out_of_range);
  EXPECT_THROW(r.ready(op(TrainOpcode::Update, G, 0), 1), std::out_of_range);
  EXPECT_THROW(OpReadiness(2, 1, 0), std::invalid_argument);
  EXPECT_THROW(OpReadiness(2, 1, 2, {true}, {}), std::invalid_argument) << "coupling for 1 of 2 layers";
}

TEST(OpReadiness, OneMicroBatchIsTheWholeBatch) {
  OpReadiness one(2, 2), coupled(2, 2, 1, {true, true}, {true, true});
  for (OpReadiness* r : {&one, &coupled}) {
    r->done(op(TrainOpcode::Latent), 10);
    r->done(op(TrainOpcode::Forward, G, 0), 30);
    EXPECT_EQ(r->ready(op(TrainOpcode::Forward, G, 1)), 30u) << "coupling changes nothing for one part";
  }
}

}  // namespace
}  // namespace memgan::train
