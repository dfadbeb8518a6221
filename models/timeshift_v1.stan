// gapbayes: how many months open-weight models trail the closed frontier.
// Stan twin of gapbayes/model/pymc_model.py: the same parameters (names, priors, non-centred
// parameterisation) and the same likelihood; tests/test_stan_agreement.py keeps them in step.
// One program for every spec: switches and prior hyperparameters are data, and a parameter
// that a switch removes is an array of size 0 (size 1 when on), so it compiles once.
// Data come from gapbayes/model/stan_data.py; indices there are 1-based.
functions {
  // Cell of pos (in grid steps from the first point) on a grid of n points: floor(pos)
  // clipped to [0, n - 2], 0-based. Binary search, because Stan cannot turn a parameter
  // into an integer.
  int grid_cell(real pos, int n) {
    int lo = 0;
    int hi = n - 2;
    while (lo < hi) {
      int mid = (lo + hi + 1) %/% 2;
      if (pos >= mid) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  // Frontier at grid positions pos (in grid steps from the first grid point): the exact
  // integral of the linearly interpolated growth rate, F_i + r_i h + (r_{i+1} - r_i) h^2 / (2 dt)
  // with h = (pos - i) dt, so F is C1 and the gap has no gradient kinks at grid points
  // (pymc_model.frontier_at).
  vector frontier_at(vector F, vector rate, vector pos, real step) {
    int n = rows(pos);
    array[n] int cell;
    array[n] int left;
    array[n] int right;
    for (j in 1:n) {
      cell[j] = grid_cell(pos[j], rows(F));
      left[j] = cell[j] + 1;
      right[j] = cell[j] + 2;
    }
    vector[n] h = (pos - to_vector(cell)) * step;
    return F[left] + rate[left] .* h + (rate[right] - rate[left]) .* square(h) / (2.0 * step);
  }

  // Frontier growth rate on the grid: exp of the interpolated log-growth random walk.
  vector growth_rate(real g0, real g_sd, vector g_z, matrix rw, matrix interp) {
    return exp(interp * (g0 + g_sd * (rw * g_z)));
  }

  // Gap at its knots (months): level plus random walk, or constant when gap_rw_sd is absent.
  vector gap_knot_values(real d0, array[] real d_sd, vector d_z, matrix rw) {
    if (size(d_sd) == 0) {
      return rep_vector(d0, rows(rw));
    }
    return d0 + d_sd[1] * (rw * d_z);
  }

  // Capability on each observation: group frontier at the (lagged) release time minus the
  // shortfall, minus the provider penalty, plus the self-report offset. Closed models stand
  // at the frontier at their release time, a data position; only open models' positions
  // depend on parameters. Searching cells of parameters reads single elements, which makes
  // stanc --O1 fall back to slower scalar autodiff, so it is confined to open models.
  vector capability(vector F, vector rate, vector lag_model, vector gap_offset,
                    vector shortfall, array[] real provider_penalty,
                    array[] real self_report_offset, array[] int obs_model,
                    array[] int obs_bench, array[] int open_obs, array[] int closed_obs,
                    array[] int closed_then_open, vector obs_pos, vector obs_host,
                    vector obs_self, real step) {
    // lag in months -> grid steps
    vector[size(open_obs)] open_pos = obs_pos[open_obs]
                                      - (lag_model[obs_model[open_obs]]
                                         + gap_offset[obs_bench[open_obs]]) / (12.0 * step);
    // concatenated and permuted back (a read; assigning into index sets is slow in Stan)
    vector[size(obs_model)] theta = append_row(frontier_at(F, rate, obs_pos[closed_obs], step),
                                               frontier_at(F, rate, open_pos, step))
                                    [closed_then_open] - shortfall[obs_model];
    if (size(provider_penalty) > 0) {
      theta -= provider_penalty[1] * obs_host;
    }
    if (size(self_report_offset) > 0) {
      theta += self_report_offset[1] * obs_self;
    }
    return theta;
  }

  // Expected score on a sigmoid benchmark: chance + (ceiling - chance) logistic(slope (theta - d)).
  vector sigmoid_mean(vector theta, vector chance, vector ceiling, vector slope,
                      vector difficulty) {
    return chance + (ceiling - chance) .* inv_logit(slope .* (theta - difficulty));
  }

  // Score sd on a sigmoid benchmark: stderr or binomial p(1-p)/n, overdispersion
  // tau^2 4p(1-p), and the reporting-resolution floor.
  vector sigmoid_sd(vector p, vector se, vector binomial_per_item, vector tau,
                    real reporting_sd) {
    vector[rows(p)] pq = p .* (1.0 - p);
    return sqrt(square(se) + binomial_per_item .* pq + 4.0 * pq .* square(tau)
                + square(reporting_sd));
  }
}

data {
  // ---- sizes ------------------------------------------------------------------------------
  int<lower=1> M;                                  // models
  int<lower=1> B;                                  // benchmarks
  int<lower=1> N_fam;                              // model families
  int<lower=1> N_cat;                              // benchmark categories
  int<lower=0> N;                                  // observations (scores)
  int<lower=2> G;                                  // monthly grid points of the frontier
  int<lower=1> K_g;                                // knots of the log-growth random walk
  int<lower=1> K_d;                                // knots of the gap random walk
  int<lower=0> R;                                  // report months
  int<lower=0> B_sig;                              // sigmoid-link benchmarks
  int<lower=0> N_sig;                              // scores on sigmoid-link benchmarks
  int<lower=0> B_lin;                              // linear-link benchmarks
  int<lower=0> N_lin;                              // scores on linear-link benchmarks
  int<lower=0> C;                                  // (model, benchmark) cells, 0 without selection

  // ---- switches (0/1) ---------------------------------------------------------------------
  int<lower=0, upper=1> use_time_varying_gap;      // gap is a random walk (else a constant)
  int<lower=0, upper=1> use_provider;              // provider-degradation penalty
  int<lower=0, upper=1> use_self_report;           // self-report offset
  int<lower=0, upper=1> use_selection;             // model of which pairs get evaluated
  int<lower=0, upper=1> use_country;               // gap offset of Chinese open models

  // ---- constants --------------------------------------------------------------------------
  real<lower=0> grid_step;                         // grid spacing, years (1/12)
  real grid0;                                      // first grid time, years since origin
  int<lower=1, upper=G> grid_origin;               // grid index of the origin (F = 0 there)
  real<lower=0> reporting_sd;                      // reporting resolution of scores

  // ---- models -----------------------------------------------------------------------------
  vector<lower=0, upper=1>[M] model_chinese;       // 1 = Chinese organisation
  array[M] int<lower=1, upper=N_fam> model_family; // family of each model
  vector<lower=0, upper=1>[M] model_open;          // 1 = open weights

  // ---- benchmarks -------------------------------------------------------------------------
  vector<lower=0, upper=1>[B] bench_public;        // 1 = public benchmark
  array[B] int<lower=1, upper=N_cat> bench_category; // category of each benchmark

  // ---- observations -----------------------------------------------------------------------
  array[N] int<lower=1, upper=M> obs_model;        // model of each score
  array[N] int<lower=1, upper=B> obs_bench;        // benchmark of each score
  vector[N] obs_time;                              // release time of the scored model, years
  int<lower=0, upper=N> N_open;                    // scores of open-weight models
  array[N_open] int<lower=1, upper=N> open_obs;    // their observation indices
  array[N - N_open] int<lower=1, upper=N> closed_obs; // scores of closed models
  vector<lower=0, upper=1>[N] obs_host;            // 1 = open model served by a third-party host
  vector<lower=0, upper=1>[N] obs_self;            // 1 = self-reported score

  // ---- interpolation and random-walk matrices (design.py) ---------------------------------
  matrix[G, K_g] growth_interp;                    // grid <- growth knots
  matrix[K_g, K_g - 1] growth_rw;                  // increments -> mean-zero random walk
  matrix[K_d, K_d - 1] gap_rw;                     // increments -> mean-zero random walk
  matrix[M, K_d] gap_interp_model;                 // model release times <- gap knots
  matrix[R, K_d] gap_interp_report;                // report months <- gap knots

  // ---- sigmoid-link scores ----------------------------------------------------------------
  array[N_sig] int<lower=1, upper=N> sig_obs;      // observation index
  array[N_sig] int<lower=1, upper=B_sig> sig_bench; // sigmoid-benchmark index
  vector[N_sig] y_sig;                             // score, proportion
  vector<lower=0>[N_sig] se_sig;                   // file standard error, 0 = none
  vector<lower=0, upper=1>[N_sig] chance_sig;      // chance floor
  vector<lower=0>[N_sig] binomial_per_item_sig;    // 1/n_items when binomial variance applies

  // ---- linear-link scores (standardised) --------------------------------------------------
  array[N_lin] int<lower=1, upper=N> lin_obs;      // observation index
  array[N_lin] int<lower=1, upper=B_lin> lin_bench; // linear-benchmark index
  vector[N_lin] y_lin;                             // standardised score
  vector<lower=0>[N_lin] se_lin;                   // standardised standard error, 0 = none

  // ---- selection cells --------------------------------------------------------------------
  array[C] int<lower=1, upper=M> cell_model;       // model of each cell
  array[C] int<lower=1, upper=B> cell_bench;       // benchmark of each cell
  array[C] int<lower=0, upper=1> evaluated;        // 1 = the pair has a score

  // ---- priors (spec [priors]: normal mu/sigma, half-normal sigma) -------------------------
  real mu_frontier_log_growth;                     // prior mean, mean log growth per year
  real<lower=0> sigma_frontier_log_growth;         // prior sd
  real<lower=0> sigma_frontier_growth_rw;          // prior sd (half-normal, per sqrt(year))
  real mu_gap_mean;                                // prior mean, months
  real<lower=0> sigma_gap_mean;                    // prior sd
  real<lower=0> sigma_gap_rw;                      // prior sd (half-normal, months per sqrt(year))
  real mu_public_offset;                           // prior mean, months
  real<lower=0> sigma_public_offset;               // prior sd
  real<lower=0> sigma_category_sd;                 // prior sd (half-normal, months)
  real<lower=0> sigma_benchmark_gap_sd;            // prior sd (half-normal, months)
  real mu_china_offset;                            // prior mean, months
  real<lower=0> sigma_china_offset;                // prior sd
  real mu_shortfall_log_scale;                     // prior mean, log shortfall scale
  real<lower=0> sigma_shortfall_log_scale;         // prior sd
  real<lower=0> sigma_shortfall_family_sd;         // prior sd (half-normal)
  real mu_difficulty;                              // prior mean, capability units
  real<lower=0> sigma_difficulty;                  // prior sd
  real<lower=0> sigma_log_slope_sd;                // prior sd (half-normal)
  real mu_ceiling_logit;                           // prior mean, logit of 1 - ceiling
  real<lower=0> sigma_ceiling_logit;               // prior sd
  real mu_noise_log_sd;                            // prior mean, log overdispersion sd
  real<lower=0> sigma_noise_log_sd;                // prior sd
  real mu_linear_log_slope;                        // prior mean, log slope, linear benchmarks
  real<lower=0> sigma_linear_log_slope;            // prior sd
  real mu_linear_intercept;                        // prior mean, intercept, linear benchmarks
  real<lower=0> sigma_linear_intercept;            // prior sd
  real mu_linear_noise_log_sd;                     // prior mean, log residual sd, linear benchmarks
  real<lower=0> sigma_linear_noise_log_sd;         // prior sd
  real<lower=0> sigma_provider_penalty;            // prior sd (half-normal, capability units)
  real mu_self_report_offset;                      // prior mean, capability units
  real<lower=0> sigma_self_report_offset;          // prior sd
  real mu_selection_intercept;                     // prior mean, logit of evaluation probability
  real<lower=0> sigma_selection_intercept;         // prior sd
  real mu_selection_capability;                    // prior mean, logit per unit of shortfall
  real<lower=0> sigma_selection_capability;        // prior sd
  real mu_selection_open;                          // prior mean, logit change for open models
  real<lower=0> sigma_selection_open;              // prior sd
}

transformed data {
  vector[N] obs_pos = (obs_time - grid0) / grid_step;  // release time in grid steps
  vector[G] origin_indicator = one_hot_vector(G, grid_origin);  // picks F at the origin
  array[N] int closed_then_open;                   // obs -> position in (closed, open) order
  for (i in 1:(N - N_open)) {
    closed_then_open[closed_obs[i]] = i;
  }
  for (i in 1:N_open) {
    closed_then_open[open_obs[i]] = N - N_open + i;
  }
}

parameters {
  // ---- closed frontier --------------------------------------------------------------------
  real frontier_log_growth;                        // mean log growth rate over the knots
  real<lower=0> frontier_growth_rw_sd;             // log-growth random-walk sd
  vector[K_g - 1] frontier_growth_z;               // standardised log-growth increments
  // ---- gap and its offsets (months) -------------------------------------------------------
  real gap_mean;                                   // mean gap over the gap knots
  array[use_time_varying_gap] real<lower=0> gap_rw_sd; // gap random-walk sd
  vector[use_time_varying_gap * (K_d - 1)] gap_z;  // standardised gap increments
  real public_offset;                              // added on public benchmarks
  real<lower=0> category_sd;                       // sd of category offsets
  vector[N_cat] category_z;                        // standardised category offsets
  real<lower=0> benchmark_gap_sd;                  // sd of benchmark offsets
  vector[B] benchmark_gap_z;                       // standardised benchmark offsets
  array[use_country] real china_offset;            // added for Chinese open models
  // ---- shortfall below the group frontier -------------------------------------------------
  real shortfall_log_scale;                        // log typical shortfall scale
  real<lower=0> shortfall_family_sd;               // sd of the log scale across families
  vector[N_fam] shortfall_family_z;                // standardised family effects
  vector<lower=0>[M] shortfall_z;                  // standardised half-normal shortfalls
  // ---- bias terms -------------------------------------------------------------------------
  array[use_provider] real<lower=0> provider_penalty;  // lost on host-served open scores
  array[use_self_report] real self_report_offset;      // added on self-reported scores
  // ---- sigmoid links ----------------------------------------------------------------------
  vector[B_sig] difficulty_z;                      // standardised difficulties
  array[B_sig > 0] real<lower=0> log_slope_sd;     // sd of log slopes
  vector[B_sig] log_slope_z;                       // standardised log slopes (centred below)
  vector[B_sig] ceiling_z;                         // standardised logit(1 - ceiling)
  vector[B_sig] noise_z;                           // standardised log overdispersion sd
  // ---- linear links -----------------------------------------------------------------------
  vector[B_lin] linear_slope_z;                    // standardised log slopes
  vector[B_lin] linear_intercept_z;                // standardised intercepts
  vector[B_lin] linear_noise_z;                    // standardised log residual sd
  // ---- selection --------------------------------------------------------------------------
  vector[use_selection * B] selection_intercept;   // logit of evaluation per benchmark
  array[use_selection] real selection_capability;  // logit per unit of shortfall (negated)
  array[use_selection] real selection_open;        // logit change for open models
}

transformed parameters {
  vector[G] frontier;                              // closed frontier on the grid, 0 at origin
  vector[B] gap_offset;                            // gap offset per benchmark, months
  vector[M] shortfall;                             // capability below the group frontier
  vector[B_sig] difficulty;                        // benchmark difficulty
  vector[B_sig] slope;                             // slope, mean log slope 0 (scale)
  vector[B_sig] ceiling;                           // upper asymptote
  vector[B_sig] noise_sd;                          // overdispersion sd at p = 0.5
  vector[B_lin] linear_slope;                      // slope, linear benchmarks
  vector[B_lin] linear_intercept;                  // intercept, linear benchmarks
  vector[B_lin] linear_noise_sd;                   // residual sd, linear benchmarks
  {
    vector[G] rate = growth_rate(frontier_log_growth, frontier_growth_rw_sd,
                                 frontier_growth_z, growth_rw, growth_interp);
    vector[G] cum = append_row(0, cumulative_sum(0.5 * (rate[2:G] + rate[1:(G - 1)])
                                                 * grid_step));
    // a dot product rather than cum[grid_origin]: reading one element would make stanc
    // store cum and frontier as arrays of scalars (slower autodiff)
    frontier = cum - dot_product(origin_indicator, cum);
  }
  gap_offset = public_offset * bench_public + category_sd * category_z[bench_category]
               + benchmark_gap_sd * benchmark_gap_z;
  shortfall = exp(shortfall_log_scale + shortfall_family_sd * shortfall_family_z[model_family])
              .* shortfall_z;
  difficulty = mu_difficulty + sigma_difficulty * difficulty_z;
  if (B_sig > 0) {
    // Mean-zero log slopes pin the scale of the capability axis (no sum_to_zero_vector in 2.35).
    slope = exp(log_slope_sd[1] * (log_slope_z - mean(log_slope_z)));
  }
  ceiling = 1.0 - inv_logit(mu_ceiling_logit + sigma_ceiling_logit * ceiling_z);
  noise_sd = exp(mu_noise_log_sd + sigma_noise_log_sd * noise_z);
  linear_slope = exp(mu_linear_log_slope + sigma_linear_log_slope * linear_slope_z);
  linear_intercept = mu_linear_intercept + sigma_linear_intercept * linear_intercept_z;
  linear_noise_sd = exp(mu_linear_noise_log_sd + sigma_linear_noise_log_sd * linear_noise_z);
}

model {
  // ---- priors (half-normals through the lower bounds) -------------------------------------
  frontier_log_growth ~ normal(mu_frontier_log_growth, sigma_frontier_log_growth);
  frontier_growth_rw_sd ~ normal(0, sigma_frontier_growth_rw);
  frontier_growth_z ~ std_normal();
  gap_mean ~ normal(mu_gap_mean, sigma_gap_mean);
  gap_rw_sd ~ normal(0, sigma_gap_rw);
  gap_z ~ std_normal();
  public_offset ~ normal(mu_public_offset, sigma_public_offset);
  category_sd ~ normal(0, sigma_category_sd);
  category_z ~ std_normal();
  benchmark_gap_sd ~ normal(0, sigma_benchmark_gap_sd);
  benchmark_gap_z ~ std_normal();
  china_offset ~ normal(mu_china_offset, sigma_china_offset);
  shortfall_log_scale ~ normal(mu_shortfall_log_scale, sigma_shortfall_log_scale);
  shortfall_family_sd ~ normal(0, sigma_shortfall_family_sd);
  shortfall_family_z ~ std_normal();
  shortfall_z ~ std_normal();
  provider_penalty ~ normal(0, sigma_provider_penalty);
  self_report_offset ~ normal(mu_self_report_offset, sigma_self_report_offset);
  difficulty_z ~ std_normal();
  log_slope_sd ~ normal(0, sigma_log_slope_sd);
  log_slope_z ~ std_normal();
  ceiling_z ~ std_normal();
  noise_z ~ std_normal();
  linear_slope_z ~ std_normal();
  linear_intercept_z ~ std_normal();
  linear_noise_z ~ std_normal();
  selection_intercept ~ normal(mu_selection_intercept, sigma_selection_intercept);
  selection_capability ~ normal(mu_selection_capability, sigma_selection_capability);
  selection_open ~ normal(mu_selection_open, sigma_selection_open);

  // ---- likelihood -------------------------------------------------------------------------
  {
    vector[G] rate = growth_rate(frontier_log_growth, frontier_growth_rw_sd,
                                 frontier_growth_z, growth_rw, growth_interp);
    vector[M] lag_model = gap_interp_model * gap_knot_values(gap_mean, gap_rw_sd, gap_z, gap_rw);
    if (use_country) {
      lag_model += china_offset[1] * model_chinese;
    }
    vector[N] theta = capability(frontier, rate, lag_model, gap_offset, shortfall,
                                 provider_penalty, self_report_offset, obs_model, obs_bench,
                                 open_obs, closed_obs, closed_then_open, obs_pos, obs_host,
                                 obs_self, grid_step);
    if (N_sig > 0) {
      vector[N_sig] p = sigmoid_mean(theta[sig_obs], chance_sig, ceiling[sig_bench],
                                     slope[sig_bench], difficulty[sig_bench]);
      y_sig ~ normal(p, sigmoid_sd(p, se_sig, binomial_per_item_sig, noise_sd[sig_bench],
                                   reporting_sd));
    }
    if (N_lin > 0) {
      y_lin ~ normal(linear_intercept[lin_bench] + linear_slope[lin_bench] .* theta[lin_obs],
                     sqrt(square(se_lin) + square(linear_noise_sd[lin_bench])));
    }
    if (use_selection) {
      evaluated ~ bernoulli_logit(selection_intercept[cell_bench]
                                  - selection_capability[1] * shortfall[cell_model]
                                  + selection_open[1] * model_open[cell_model]);
    }
  }
}

generated quantities {
  vector[R] gap;                                   // gap D(t) per report month, months
  vector[N_sig] log_lik_y_sig;                     // pointwise log-likelihood, sigmoid scores
  vector[N_lin] log_lik_y_lin;                     // pointwise log-likelihood, linear scores
  vector[C] log_lik_evaluated;                     // pointwise log-likelihood, selection cells
  vector[N_sig] y_sig_rep;                         // posterior predictive sigmoid scores
  vector[N_lin] y_lin_rep;                         // posterior predictive linear scores
  array[C] int evaluated_rep;                      // posterior predictive evaluated pairs
  {
    vector[G] rate = growth_rate(frontier_log_growth, frontier_growth_rw_sd,
                                 frontier_growth_z, growth_rw, growth_interp);
    vector[K_d] d_knots = gap_knot_values(gap_mean, gap_rw_sd, gap_z, gap_rw);
    vector[M] lag_model = gap_interp_model * d_knots;
    gap = gap_interp_report * d_knots;
    if (use_country) {
      lag_model += china_offset[1] * model_chinese;
    }
    vector[N] theta = capability(frontier, rate, lag_model, gap_offset, shortfall,
                                 provider_penalty, self_report_offset, obs_model, obs_bench,
                                 open_obs, closed_obs, closed_then_open, obs_pos, obs_host,
                                 obs_self, grid_step);
    if (N_sig > 0) {
      vector[N_sig] p = sigmoid_mean(theta[sig_obs], chance_sig, ceiling[sig_bench],
                                     slope[sig_bench], difficulty[sig_bench]);
      vector[N_sig] sd = sigmoid_sd(p, se_sig, binomial_per_item_sig, noise_sd[sig_bench],
                                    reporting_sd);
      for (n in 1:N_sig) {
        log_lik_y_sig[n] = normal_lpdf(y_sig[n] | p[n], sd[n]);
      }
      y_sig_rep = to_vector(normal_rng(p, sd));
    }
    if (N_lin > 0) {
      vector[N_lin] mu = linear_intercept[lin_bench] + linear_slope[lin_bench] .* theta[lin_obs];
      vector[N_lin] sd = sqrt(square(se_lin) + square(linear_noise_sd[lin_bench]));
      for (n in 1:N_lin) {
        log_lik_y_lin[n] = normal_lpdf(y_lin[n] | mu[n], sd[n]);
      }
      y_lin_rep = to_vector(normal_rng(mu, sd));
    }
    if (use_selection) {
      vector[C] logit_p = selection_intercept[cell_bench]
                          - selection_capability[1] * shortfall[cell_model]
                          + selection_open[1] * model_open[cell_model];
      for (c in 1:C) {
        log_lik_evaluated[c] = bernoulli_logit_lpmf(evaluated[c] | logit_p[c]);
      }
      evaluated_rep = bernoulli_logit_rng(logit_p);
    }
  }
}
