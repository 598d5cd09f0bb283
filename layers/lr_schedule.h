// The learning-rate schedule of "Attention Is All You Need" (Vaswani et al. 2017, sec. 5.3):
// linear warm-up, then decay with the inverse square root of the step,
//
//   lrate(step) = factor * d_model^-0.5 * min(step^-0.5, step * warmup_steps^-1.5),  step >= 1,
//
// peaking at step = warmup_steps (the paper: d_model 512, warm-up 4000, factor 1, with Adam
// beta1 0.9, beta2 0.98, eps 1e-9).
//
//   torch::optim::Adam adam(model->parameters(),
//                           torch::optim::AdamOptions(1.0).betas({0.9, 0.98}).eps(1e-9));
//   sf::layers::NoamScheduler schedule(adam, /*d_model=*/512, /*warmup_steps=*/4000);
//   for (...) {            // the constructor already set lrate(1) for the first step
//     adam.zero_grad(); loss.backward(); adam.step();
//     schedule.step();     // lrate(2), lrate(3), ...
//   }
#ifndef SCRATCHFORMER_LAYERS_LR_SCHEDULE_H_
#define SCRATCHFORMER_LAYERS_LR_SCHEDULE_H_

#include <cstdint>
#include <vector>

#include <torch/optim/optimizer.h>
#include <torch/optim/schedulers/lr_scheduler.h>

namespace sf::layers {

// lrate(step) above. TORCH_CHECKs step >= 1, d_model >= 1, warmup_steps >= 1, factor > 0.
double NoamLearningRate(int64_t step, int64_t d_model, int64_t warmup_steps, double factor = 1.0);

// Sets every parameter group of `optimizer` to lrate(step). The optimizer must outlive it.
class NoamScheduler : public torch::optim::LRScheduler {
 public:
  NoamScheduler(torch::optim::Optimizer& optimizer, int64_t d_model, int64_t warmup_steps,
                double factor = 1.0);

  // The 1-based step the next optimizer.step() takes, whose rate is set now.
  int64_t current_step() const { return static_cast<int64_t>(step_count_); }
  double current_learning_rate() const;

  // Continues a resumed run: sets the rate for optimizer step `step` (>= 1).
  void ResumeAt(int64_t step);

 protected:
  std::vector<double> get_lrs() override;

 private:
  int64_t d_model_;
  int64_t warmup_steps_;
  double factor_;
};

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_LR_SCHEDULE_H_
