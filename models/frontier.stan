// gapbayes frontier model (model v2): closed and open frontier curves, a soft frontier around
// them, category trends, effort effects and per-benchmark links.
// Stan twin of gapbayes/model/frontier_pymc.py: the same parameters (names, priors,
// centred/non-centred choices) and the same likelihood; tests/test_stan_agreement.py keeps the
// two in step (pointwise log-likelihood and joint log-density differences at the same points).
// One program for every spec and design: switches and prior hyperparameters are data, and a
// parameter that a switch or the data remove has size 0 (an optional scalar is an array of
// size 0 or 1), so it compiles once.
// Data come from gapbayes/model/frontier_stan.py; indices there are 1-based. Shapes: K base
// models, B benchmarks, N scores, L cells (base model x category with a score), G grid months.
// Efficiency (stanc --O1, `stanc --O1 --debug-mem-patterns` lists the result): a vector or
// matrix of parameters is stored struct-of-arrays (one autodiff node for the whole object,
// about twice as fast here) only if no statement reads or writes a single element of it and
// every function it meets supports that layout. So selections below are multi-indexes or
// products with 0/1 data matrices, "no value" is a 0/1 mask rather than append_row (which
// does not support it), and a vector made only of parameter scalars and data starts from
// rep_vector. Loops over observations are absent; the only loops fill data.
functions {
  // Normal-gamma(2) composed error: e = v - u, v ~ N(0, sv), u ~ Gamma(2, l), l = sqrt(2 pi)
  // / su (mean shortfall sqrt(2 / pi) su, the half-normal's). With a = e / sv + l sv:
  // f(e) = l^2 sv exp(l e + l^2 sv^2 / 2) [phi(a) - a Phi(-a)]; the sum of log f(e) here.
  // For a <= 0, phi(a) - a Phi(-a) has two positive terms; for a > 0 it is phi(a) g(a),
  // g(a) = 1 - a Phi(-a) / phi(a) from erfc up to a = 25 and from the asymptotic series beyond
  // (relative truncation < 1e-13), and l e + l^2 sv^2 / 2 - a^2 / 2 = -e^2 / (2 sv^2): no
  // large exponentials. gapbayes/model/composed_error.py computes the same branches. The
  // branches are selected by 0/1 masks with clamped arguments, not by reading elements, so
  // the vectors keep stanc's struct-of-arrays layout (see the header).
  real normal_gamma2_lpdf(vector e, vector su, vector sv) {
    vector[rows(e)] rate = sqrt(2 * pi()) ./ su;
    vector[rows(e)] a = e ./ sv + rate .* sv;
    vector[rows(e)] common = 2 * log(rate) + log(sv);
    // relu and masks from abs and ceil: fmin / fmax would force the array-of-structs layout
    vector[rows(e)] a_plus = 0.5 * (a + abs(a));                      // max(a, 0)
    vector[rows(e)] above = 0.5 * (a - 25 + abs(a - 25));             // max(a - 25, 0)
    vector[rows(e)] on_pos = ceil(a_plus) - ceil(0.5 * (a - 1 + abs(a - 1)));  // 1 where a > 0
    vector[rows(e)] on_series = ceil(above) - ceil(0.5 * (a - 26 + abs(a - 26)));  // a > 25
    vector[rows(e)] a_neg = a - a_plus;                               // min(a, 0)
    vector[rows(e)] neg = common + rate .* e + 0.5 * square(rate .* sv)
                          + log(exp(-0.5 * square(a_neg)) / sqrt(2 * pi())
                                - a_neg .* Phi(-a_neg));
    vector[rows(e)] a_mid = a_plus - above;                           // a clamped to [0, 25]
    vector[rows(e)] mills = sqrt(pi() / 2) * exp(log(erfc(a_mid / sqrt2())) + 0.5 * square(a_mid));
    vector[rows(e)] x = inv_square(25 + above);                       // 1 / max(a, 25)^2
    vector[rows(e)] series = log(x) + log1p(x .* (-3 + x .* (15 + x .* (-105 + x .* (945
                                                                            - 10395 * x)))));
    vector[rows(e)] pos = common - 0.5 * square(e ./ sv) - 0.5 * log(2 * pi())
                          + on_series .* series + (1 - on_series) .* log1p(-a_mid .* mills);
    return sum(on_pos .* pos + (1 - on_pos) .* neg);
  }

  // Orthonormal basis Q (n x (n - 1)) of the zero-sum vectors: PyMC's ZeroSumTransform,
  // whose backward map is x = z - sum(z) / (sqrt(n) + n) on the first n - 1 entries and
  // -sum(z) / sqrt(n) on the last. As Q is orthonormal, |Q z| = |z| and the Jacobian is
  // constant, so ZeroSumNormal(sigma) on x is N(0, sigma) on z; and z equals PyMC's value
  // variable `<name>_zerosum__`. For n = 1, Q z = [0]; for n = 0 (no sigmoid benchmark) Q is
  // empty.
  matrix zero_sum_basis(int n) {
    int m = n > 0 ? n - 1 : 0;
    matrix[n, m] Q = rep_matrix(-1.0 / (sqrt(n) + n), n, m);
    for (j in 1:(n - 1)) {
      Q[j, j] += 1;
      Q[n, j] = -1.0 / sqrt(n);
    }
    return Q;
  }

  // Each score's share of the provider penalty: obs_host, times exp(host_sd z_h) for a score
  // served by the named host h (host_effects; index 1 = no named host, factor 1).
  vector host_weight(data vector obs_host, data array[] int obs_host_idx,
                     array[] real host_sd, vector host_z) {
    if (size(host_sd) == 0) {
      return obs_host;
    }
    return obs_host .* append_row(rep_vector(1.0, 1), exp(host_sd[1] * host_z))[obs_host_idx];
  }

  // Category trend of each cell at its base model's release: the level trends' linear map,
  // or (monotone categories) the cell's group curve read between the grid points around it.
  vector cell_trends(vector category_trend, data matrix cell_trend,
                     array[] matrix category_trend_grid, data array[] int cell_group,
                     data array[] int cell_left, data vector cell_frac,
                     data array[] int cell_cat) {
    int L = rows(cell_trend);
    if (size(category_trend_grid) == 0) {
      return cell_trend * category_trend;
    }
    vector[L] out;
    for (l in 1:L) {
      out[l] = category_trend_grid[cell_group[l], cell_cat[l], cell_left[l]]
                 * (1.0 - cell_frac[l])
               + category_trend_grid[cell_group[l], cell_cat[l], cell_left[l] + 1]
                 * cell_frac[l];
    }
    return out;
  }

  // Capability on each score: the base model's ability plus its cell's category trend and
  // deviation, the effort effect, the open-vs-closed shift of the benchmark (open models
  // only), minus the provider penalty, plus the self-report offset (frontier_pymc's order).
  // A mask of 0 stands for "no term" (x + 0 * y is x exactly, as PyMC's gathered 0 is).
  vector capability(vector ability, vector cell_trend, vector category_dev,
                    vector category_dev_z, real dev_sd, vector effort,
                    array[] real effort_category_sd, matrix effort_category_z,
                    vector open_shift, array[] real provider_penalty,
                    array[] real self_report_offset,
                    data array[] int cell_base, data array[] int rich_idx,
                    data vector rich_mask, data array[] int poor_idx, data vector poor_mask,
                    data array[] int obs_cell, data array[] int obs_effort_idx,
                    data vector obs_effort_mask, data array[] int obs_bench,
                    data vector obs_open, vector obs_host, data vector obs_self) {
    int N = size(obs_cell);
    int C = cols(effort_category_z);
    vector[rows(cell_trend)] cell = ability[cell_base] + cell_trend;
    // deviations of multi-category cells: centred (rich) or scaled standard (poor) terms
    if (rows(category_dev) > 0) {
      cell += rich_mask .* category_dev[rich_idx];
    }
    if (rows(category_dev_z) > 0) {
      cell += poor_mask .* (dev_sd * category_dev_z)[poor_idx];
    }
    vector[N] theta = cell[obs_cell];
    if (rows(effort) > 0) {
      // effort x category table of the non-default classes
      // built transposed (C x classes): to_vector of it reads the table row-major, with no
      // to_vector(x') of a parameter matrix (see transformed parameters); an outer product
      // with a data vector, as rep_matrix(effort', C) had a wrong gradient (measured against
      // finite differences: 1.9 instead of 50.2)
      matrix[C, rows(effort)] table_t = rep_vector(1, C) * effort';
      if (size(effort_category_sd) > 0) {
        table_t += effort_category_sd[1] * effort_category_z';
      }
      theta += obs_effort_mask .* to_vector(table_t)[obs_effort_idx];
    }
    theta += obs_open .* open_shift[obs_bench];
    if (size(provider_penalty) > 0) {
      theta -= provider_penalty[1] * obs_host;
    }
    if (size(self_report_offset) > 0) {
      theta += self_report_offset[1] * obs_self;
    }
    return theta;
  }

  // Expected score on a sigmoid benchmark: chance + (ceiling - chance) A(slope (theta - d)),
  // A the logistic, or with an asymmetric link (use_shape) 1 - exp(-shape softplus(x)), which
  // nears the ceiling more slowly than it leaves the floor when shape < 1.
  vector sigmoid_mean(vector theta, vector chance, vector ceiling, vector slope,
                      vector difficulty, vector shape, int use_shape) {
    vector[rows(theta)] x = slope .* (theta - difficulty);
    if (use_shape) {
      return chance + (ceiling - chance) .* (-expm1(-shape .* log1p_exp(x)));
    }
    return chance + (ceiling - chance) .* inv_logit(x);
  }

  // Score sd on a sigmoid benchmark: stderr or binomial p(1-p)/n, overdispersion
  // tau^2 4p(1-p), and the reporting-resolution floor.
  vector sigmoid_sd(vector p, vector se, vector binomial_per_item, vector tau,
                    real reporting_sd) {
    vector[rows(p)] pq = p .* (1.0 - p);
    return sqrt(square(se) + binomial_per_item .* pq + 4.0 * pq .* square(tau)
                + square(reporting_sd));
  }

  // Open-vs-closed shift per benchmark, each part summing to zero over the benchmarks: a
  // centred public contrast, category contrasts spread to their benchmarks, zero-sum
  // benchmark terms (frontier_pymc.open_shifts).
  vector open_shifts(array[] real public_shift, array[] real category_shift_sd,
                     vector category_shift_z, vector benchmark_shift,
                     data vector bench_public_centred, data matrix shift_category_basis,
                     data array[] int bench_category) {
    vector[rows(benchmark_shift)] shift = rep_vector(0, rows(benchmark_shift));
    if (size(public_shift) > 0) {
      shift += public_shift[1] * bench_public_centred;
    }
    if (size(category_shift_sd) > 0) {
      shift += (category_shift_sd[1] * (shift_category_basis * category_shift_z))
               [bench_category];
    }
    return shift + benchmark_shift;
  }

  // Pointwise normal log density (normal_lpdf sums; generated quantities need each term).
  vector normal_pointwise(vector y, vector mu, vector sigma) {
    return -0.5 * square((y - mu) ./ sigma) - log(sigma) - 0.5 * log(2 * pi());
  }
}

data {
  // ---- sizes ------------------------------------------------------------------------------
  int<lower=1> K;                                  // base models (weights)
  int<lower=1> B;                                  // benchmarks
  int<lower=1> N_fam;                              // model families
  int<lower=1> N_cat;                              // benchmark categories
  int<lower=0> N;                                  // scores
  int<lower=1> L;                                  // cells: (base model, category) with a score
  int<lower=2> G;                                  // monthly grid points of the frontier curves
  int<lower=1> W;                                  // growth knots inside the data window
  int<lower=0> n_back;                             // growth knots before the window
  int<lower=0> n_ahead;                            // growth knots after the window
  int<lower=2> K_t;                                // knots of the category trends
  int<lower=0> P;                                  // free trend coordinates, 0 = no trends
  int<lower=0> N_rich;                             // multi-category cells with a centred deviation
  int<lower=0> N_poor;                             // multi-category cells, non-centred deviation
  int<lower=1> E;                                  // effort classes, the provider default included
  int<lower=0> B_sig;                              // sigmoid-link benchmarks
  int<lower=0> N_sig;                              // scores on sigmoid-link benchmarks
  int<lower=0> B_lin;                              // linear-link benchmarks
  int<lower=0> N_lin;                              // scores on linear-link benchmarks

  // ---- switches (0/1; spec switch and data together, as frontier_pymc decides) ------------
  int<lower=0, upper=1> use_effort_category;       // effort x category deviations (E > 1, N_cat > 1)
  int<lower=0, upper=1> use_public_shift;          // public/private contrast (both kinds fitted)
  int<lower=0, upper=1> use_provider;              // provider penalty (switch on, a host score)
  int<lower=0, upper=1> use_self_report;           // self-report offset (switch on, a self score)
  int<lower=0, upper=1> use_country;               // offset curve of Chinese open models
  int<lower=0, upper=1> use_shape;                 // asymmetric link on some sigmoid benchmarks
  int<lower=0, upper=1> use_lab_curves;            // family shortfall scales walk in time
  int<lower=0, upper=1> use_host_effects;          // a provider penalty per named host
  int<lower=0, upper=1> use_contamination;         // open models' gain on exposed public benchmarks
  int<lower=0, upper=1> use_selection;             // evaluation model over a sampling frame
  int<lower=0, upper=1> use_category_dev;          // base model x category deviations
  int<lower=0, upper=1> use_gamma_shortfall;       // shortfall Gamma(2) instead of half-normal
  int<lower=0, upper=1> use_rate_trends;           // category trends on growth rates (monotone)

  // ---- constants --------------------------------------------------------------------------
  real<lower=0> grid_step;                         // grid spacing, years (1/12)
  real<lower=0> sqrt_knot_step;                    // sqrt of the growth-knot spacing, sqrt(years)
  real<lower=0, upper=1> growth_centring;          // power of growth_rw_sd in the sampled steps
  array[2] int<lower=1, upper=2 * G> grid_origin;  // origin in the stacked grid (closed, open)
  real<lower=0> reporting_sd;                      // reporting resolution of scores

  // ---- frontier curves --------------------------------------------------------------------
  matrix[G, n_back + W + n_ahead] growth_interp;   // grid <- growth knots (linear)

  // ---- category trends (frontier_pymc.trend_map; zero columns without trends) -------------
  matrix[P, P] trend_chol;                         // Cholesky of the unit-scale trend covariance
  matrix[K_t * N_cat, P] trend_map;                // free coordinates -> knot values (row-major)
  matrix[L, P] cell_trend;                         // free coordinates -> trend at each cell's release
  // monotone categories (category_rates.py): log rate ratios interpolated on the grid, their
  // bound, and each cell's group, grid point left of its release and position after it
  matrix[use_rate_trends * G, K_t] trend_interp;
  real<lower=0> rate_ratio_bound;
  array[use_rate_trends * L] int<lower=1, upper=2> cell_group;
  array[use_rate_trends * L] int<lower=1, upper=G - 1> cell_left;
  vector<lower=0, upper=1>[use_rate_trends * L] cell_frac;
  array[use_rate_trends * L] int<lower=1, upper=N_cat> cell_cat;

  // ---- base models ------------------------------------------------------------------------
  array[K] int<lower=1, upper=N_fam> base_family;  // family of each base model
  vector<lower=0, upper=1>[K] base_single;         // 1 = scored in one category only
  // frontier points around each release in to_vector(frontier) (closed and open alternate)
  array[K] int<lower=1, upper=2 * G> base_left;    // grid point left of the release
  array[K] int<lower=1, upper=2 * G> base_right;   // the grid point after it
  vector<lower=0, upper=1>[K] base_frac;           // release position between the two
  // Chinese open models' offset at each release (trend knots interpolated; 0 rows otherwise)
  matrix[K, K_t] base_country;
  matrix[K_t, K_t - 1] country_walk;               // standardised steps -> walk (mean 0)
  // lab curves: trend knots interpolated at each release; families with a walk (not 'other')
  matrix[K, K_t] base_trend;
  vector<lower=0, upper=1>[N_fam] lab_mask;

  // ---- cells ------------------------------------------------------------------------------
  array[L] int<lower=1, upper=K> cell_base;        // base model of each cell
  array[L] int<lower=1, upper=max(N_rich, 1)> rich_idx; // its rich-cell term (1 if none)
  vector<lower=0, upper=1>[L] rich_mask;           // 1 = the cell has a rich (centred) term
  array[L] int<lower=1, upper=max(N_poor, 1)> poor_idx; // its poor-cell term (1 if none)
  vector<lower=0, upper=1>[L] poor_mask;           // 1 = the cell has a poor (non-centred) term

  // ---- benchmarks -------------------------------------------------------------------------
  vector[B] bench_public_centred;                  // 1 = public benchmark, minus its mean
  array[B] int<lower=1, upper=N_cat> bench_category; // category of each benchmark
  matrix[N_cat, N_cat - 1] shift_category_basis;   // category contrasts -> category shifts
  // benchmarks with a shift term of their own: those sharing their category (a benchmark
  // alone in its category has its category's shift; frontier_design.own_shift_benchmarks)
  int<lower=0, upper=B> B_own;
  array[B_own] int<lower=1, upper=B> own_bench;

  // ---- scores -----------------------------------------------------------------------------
  array[N] int<lower=1, upper=L> obs_cell;         // cell of each score
  array[N] int<lower=1, upper=B> obs_bench;        // benchmark of each score
  // (non-default effort class, category) of each score, row-major (1 for the default class)
  array[N] int<lower=1, upper=max((E - 1) * N_cat, 1)> obs_effort_idx;
  vector<lower=0, upper=1>[N] obs_effort_mask;     // 1 = a non-default effort class
  vector<lower=0, upper=1>[N] obs_open;            // 1 = open-weights base model
  vector<lower=0, upper=1>[N] obs_host;            // 1 = open model served by a third-party host
  int<lower=0> H;                                  // named third-party hosts
  array[N] int<lower=1, upper=H + 1> obs_host_idx; // 1 + its named host (1: none or unnamed)
  vector<lower=0, upper=1>[N] obs_self;            // 1 = self-reported score
  vector<lower=0, upper=1>[N] obs_exposure;        // open score on a public benchmark: 0 before its
                                                   // release, 1 a year after (frontier_design)

  // ---- selection frame (gapbayes/model/selection.py; sizes 0 without use_selection) --------
  int<lower=0> K_frame;                            // frame models with no fitted score
  array[K_frame] int<lower=1, upper=2 * G> frame_left;  // their group's frontier around release
  array[K_frame] int<lower=1, upper=N_fam> frame_family; // their lab (the scored models' prior)
  int<lower=0> N_single;                           // single-category base models (0 without
  array[N_single] int<lower=1, upper=K> single_bases; // use_selection): deviation kept apart
  matrix[K_frame, K_t] frame_country;              // Chinese open offset weights (country)
  matrix[K_frame, K_t] frame_trend;                // lab-walk weights at release (lab curves)
  array[K_frame] int<lower=1, upper=2 * G> frame_right;
  vector<lower=0, upper=1>[K_frame] frame_frac;
  // closed frontier around the release of every unit (base models, then frame models)
  array[use_selection * (K + K_frame)] int<lower=1, upper=2 * G> unit_closed_left;
  array[use_selection * (K + K_frame)] int<lower=1, upper=2 * G> unit_closed_right;
  vector<lower=0, upper=1>[use_selection * (K + K_frame)] unit_frac;
  int<lower=0> N_cand;                             // candidate (unit, benchmark) pairs
  array[N_cand] int<lower=1, upper=K + K_frame> cand_unit;
  array[N_cand] int<lower=1, upper=B> cand_bench;
  array[N_cand] int<lower=1, upper=2> cand_group;  // 1 closed, 2 open
  array[N_cand] int<lower=0, upper=1> cand_evaluated; // 1 = the unit has a score there
  vector<lower=-1, upper=1>[N_cand] cand_era;      // the release's position in the benchmark's era
  int<lower=0> N_sel_family;                       // labs of the frame (0 without use_selection)
  array[use_selection * (K + K_frame)] int<lower=1, upper=N_sel_family> unit_family;

  // ---- sigmoid-link scores ----------------------------------------------------------------
  array[N_sig] int<lower=1, upper=N> sig_obs;      // score index
  array[N_sig] int<lower=1, upper=B_sig> sig_bench; // sigmoid-benchmark index
  int<lower=0, upper=B_sig> N_shaped;              // sigmoid benchmarks with a shaped link
  array[N_shaped] int<lower=1, upper=B_sig> shaped_idx; // which (all with asymmetric_link)
  vector[N_sig] y_sig;                             // score, proportion
  vector<lower=0>[N_sig] se_sig;                   // file standard error, 0 = none
  vector<lower=0, upper=1>[N_sig] chance_sig;      // chance floor
  vector<lower=0>[N_sig] binomial_per_item_sig;    // 1/n_items when binomial variance applies
  vector[B_sig] ceiling_mu;                        // prior mean of logit(1 - ceiling) (label errors)
  vector<lower=0>[B_sig] ceiling_sigma;            // prior sd of logit(1 - ceiling)

  // ---- linear-link scores (standardised) --------------------------------------------------
  array[N_lin] int<lower=1, upper=N> lin_obs;      // score index
  array[N_lin] int<lower=1, upper=B_lin> lin_bench; // linear-benchmark index
  vector[N_lin] y_lin;                             // standardised score
  vector<lower=0>[N_lin] se_lin;                   // standardised standard error, 0 = none

  // ---- priors (spec [priors]: normal mu/sigma, half-normal sigma) -------------------------
  real mu_log_growth_start;                        // prior mean, log growth rate at the window start
  real<lower=0> sigma_log_growth_start;            // prior sd
  real<lower=0> sigma_growth_rw;                   // half-normal, log-growth walk sd per sqrt(year)
  real mu_closed_level;                            // prior mean, closed frontier at the origin
  real<lower=0> sigma_closed_level;                // prior sd
  real mu_open_level;                              // prior mean, open minus closed at the origin
  real<lower=0> sigma_open_level;                  // prior sd
  real<lower=0> sigma_category_trend;              // half-normal, trend scale per sqrt(year)
  real mu_frontier_noise;                          // log-normal prior, symmetric per-model term:
  real<lower=0> sigma_frontier_noise;              // median exp(mu), log-scale sd sigma
  real mu_shortfall_log_scale;                     // prior mean, log typical shortfall scale
  real<lower=0> sigma_shortfall_log_scale;         // prior sd
  real<lower=0> sigma_shortfall_family_sd;         // half-normal, family sd of the log scale
  real<lower=0> sigma_category_dev;                // half-normal, base model x category sd
  real mu_effort;                                  // prior mean, effort-class effects
  real<lower=0> sigma_effort;                      // prior sd
  real<lower=0> sigma_effort_category;             // half-normal, effort x category sd
  real mu_public_shift;                            // prior mean, open shift on public benchmarks
  real<lower=0> sigma_public_shift;                // prior sd
  real<lower=0> sigma_category_shift;              // half-normal, category shift sd
  real<lower=0> sigma_benchmark_shift;             // half-normal, benchmark shift sd
  real<lower=0> sigma_provider_penalty;            // half-normal, provider penalty
  real<lower=0> sigma_host_effect;                 // half-normal, sd of a host's log factor
  real mu_self_report_offset;                      // prior mean, self-report offset
  real<lower=0> sigma_self_report_offset;          // prior sd
  real mu_contamination;                           // prior mean, contamination
  real<lower=0> sigma_contamination;               // prior sd
  real<lower=0> sigma_difficulty;                  // sd of the zero-sum difficulties
  real<lower=0> sigma_log_slope_sd;                // half-normal, sd of the zero-sum log slopes
  real mu_log_shape;                               // prior mean, log shape of the asymmetric link
  real<lower=0> sigma_log_shape;                   // prior sd
  real mu_noise_log_sd;                            // prior mean, log overdispersion sd
  real<lower=0> sigma_noise_log_sd;                // prior sd
  real mu_linear_log_slope;                        // prior mean, log slope, linear benchmarks
  real<lower=0> sigma_linear_log_slope;            // prior sd
  real mu_linear_intercept;                        // prior mean, intercept, linear benchmarks
  real<lower=0> sigma_linear_intercept;            // prior sd
  real mu_linear_noise_log_sd;                     // prior mean, log residual sd, linear benchmarks
  real<lower=0> sigma_linear_noise_log_sd;         // prior sd
  real mu_china_offset;                            // prior mean, Chinese open offset (mean)
  real<lower=0> sigma_china_offset;                // prior sd
  real<lower=0> sigma_china_trend;                 // half-normal, its walk sd per sqrt(year)
  real<lower=0> sigma_lab_trend;                   // half-normal, walk sd of a lab's log scale
  real mu_selection_access;                        // prior mean, logit evaluation rate per group
  real<lower=0> sigma_selection_access;            // prior sd
  real<lower=0> sigma_selection_benchmark;         // sd of the zero-sum benchmark terms
  real mu_selection_capability;                    // prior mean, logit per unit above the frontier
  real<lower=0> sigma_selection_capability;        // prior sd
  real<lower=0> sigma_selection_family_sd;         // half-normal sd of the labs' terms
  real<lower=0> sigma_selection_era;               // prior sd of the era curves' coefficients
}

transformed data {
  int K_g = n_back + W + n_ahead;                  // all growth knots
  int B_zs = B_sig > 1 ? B_sig : 0;                // zero-sum difficulties and log slopes
  int use_category_shift = N_cat > 1;              // category shifts need two categories
  // Zero-sum bases (PyMC's ZeroSumTransform): Q z maps free coordinates to sum-zero vectors
  // (a product with data keeps the result struct-of-arrays)
  matrix[B_sig, B_sig > 0 ? B_sig - 1 : 0] zs_sig = zero_sum_basis(B_sig);
  // the sigmoid benchmarks whose link gets a shape (frontier_pymc.shaped_benchmarks)
  int S_shape = use_shape * N_shaped;
  matrix[B, B - 1] zs_bench = zero_sum_basis(B);
  int use_bench_shift = B_own > 1;                 // benchmark shift terms need two benchmarks
  matrix[B_own, B_own > 0 ? B_own - 1 : 0] zs_own = zero_sum_basis(B_own);
  matrix[N_cat - 1, N_cat] zs_cat_t = zero_sum_basis(N_cat)';  // transposed: rows of z
  // The walk as products with 0/1 matrices (see the header): knot values (2 x K_g) =
  // log_growth * window_to_knots + step sd * (growth_back_z * back_to_knots
  // + growth_ahead_z * ahead_to_knots). window_to_knots copies the window's knots and repeats
  // its first (last) knot over the knots before (after) it; back_to_knots makes minus the
  // reverse cumulative sums (the walk run backwards), ahead_to_knots the cumulative sums.
  matrix[W, K_g] window_to_knots = rep_matrix(0, W, K_g);
  matrix[n_back, K_g] back_to_knots = rep_matrix(0, n_back, K_g);
  matrix[n_ahead, K_g] ahead_to_knots = rep_matrix(0, n_ahead, K_g);
  vector[W] first_knot = one_hot_vector(W, 1);     // log_growth_partial * this: first column
  matrix[W, W - 1] knot_diff = rep_matrix(0, W, W - 1); // ... * this: the increments
  matrix[W, W] knot_identity = identity_matrix(W);
  matrix[W, W] first_spread = rep_matrix(0, W, W); // x * this: x's first column in every column
  // Stacked grid (closed 1..G, open G+1..2G): previous point, 0 at each curve's first point
  // (no trapezoid increment there), 1 on the open curve, and the rows of the 2 x G matrix.
  array[2 * G] int grid_prev;
  vector[2 * G] grid_first_mask = rep_vector(1, 2 * G);
  vector[2 * G] grid_open = append_row(rep_vector(0, G), rep_vector(1, G));
  array[2 * G] int grid_group;                     // 1 closed, 2 open
  vector[2] closed_row = [1, 0]';                  // outer products build the 2 x G matrix
  vector[2] open_row = [0, 1]';
  first_spread[1] = rep_row_vector(1, W);
  for (j in 1:W) {
    window_to_knots[j, n_back + j] = 1;
  }
  window_to_knots[1, 1:n_back] = rep_row_vector(1, n_back);
  window_to_knots[W, (n_back + W + 1):K_g] = rep_row_vector(1, n_ahead);
  for (i in 1:n_back) {
    for (j in 1:i) {
      back_to_knots[i, j] = -1;
    }
  }
  for (i in 1:n_ahead) {
    for (j in i:n_ahead) {
      ahead_to_knots[i, n_back + W + j] = 1;
    }
  }
  for (j in 1:(W - 1)) {
    knot_diff[j, j] = -1;
    knot_diff[j + 1, j] = 1;
  }
  for (j in 1:(2 * G)) {
    grid_prev[j] = j == 1 ? 1 : j - 1;
    grid_group[j] = j <= G ? 1 : 2;
  }
  grid_first_mask[1] = 0;
  grid_first_mask[G + 1] = 0;
}

parameters {
  // ---- frontier curves --------------------------------------------------------------------
  real<lower=0> growth_rw_sd;                      // log-growth random-walk sd per sqrt(year)
  // the window's walk, partially centred: steps of sd^c sqrt(dt) (c = growth_centring), the
  // log growth rate their spread around the first knot times sd^(1 - c) (frontier_pymc.py)
  matrix[2, W] log_growth_partial;
  matrix[2, n_back] growth_back_z;                 // standardised increments before the window
  matrix[2, n_ahead] growth_ahead_z;               // standardised increments after the window
  real closed_level;                               // closed frontier at the origin
  real open_level;                                 // open minus closed frontier at the origin
  // ---- category trends --------------------------------------------------------------------
  array[P > 0] real<lower=0> category_trend_sd;    // trend scale
  // standardised trend coordinates (non-centred: where the data say little about the trends
  // the centred form is a funnel at a small scale, docs/studies.md)
  vector[P] category_trend_z;
  // ---- soft frontier ----------------------------------------------------------------------
  array[use_category_dev] real<lower=0> category_dev_sd; // sd of base model x category deviations
  real<lower=0> frontier_noise_sd;                 // sd of the symmetric per-model term v
  real shortfall_log_scale;                        // log typical shortfall scale
  real<lower=0> shortfall_family_sd;               // sd of the log scale across families
  vector[N_fam] shortfall_family_z;                // standardised family effects
  array[use_lab_curves] real<lower=0> lab_trend_sd; // sd of a lab's log-scale walk per sqrt(year)
  matrix[use_lab_curves * N_fam, K_t - 1] lab_trend_z; // standardised steps of the walks
  vector[N_single] single_dev_z;                   // their standardised category deviations
  vector[K] ability;                               // base-model abilities (centred skew-normal)
  // ---- Chinese open models (country switch) -----------------------------------------------
  array[use_country] real china_offset;            // mean offset of their frontier over the knots
  array[use_country] real<lower=0> china_trend_sd; // sd of the offset's walk per sqrt(year)
  vector[use_country * (K_t - 1)] china_trend_z;   // standardised steps of the walk
  vector[N_rich] category_dev;                     // deviations of rich cells (centred)
  vector[N_poor] category_dev_z;                   // deviations of poor cells (standardised)
  // ---- effort -----------------------------------------------------------------------------
  vector[E - 1] effort;                            // effort-class effects vs the provider default
  array[use_effort_category] real<lower=0> effort_category_sd; // sd of effort x category terms
  // free coordinates of the standardised effort x category terms (zero sum per effort class)
  matrix[use_effort_category * (E - 1), N_cat - 1] effort_category_z_zerosum;
  // ---- open-vs-closed shifts --------------------------------------------------------------
  array[use_public_shift] real public_shift;       // open models' shift on public benchmarks
  array[use_category_shift] real<lower=0> category_shift_sd; // sd of category shifts
  vector[use_category_shift * (N_cat - 1)] category_shift_z; // standardised category contrasts
  array[use_bench_shift] real<lower=0> benchmark_shift_sd; // sd of the benchmark shifts
  // free coordinates of the standardised benchmark shifts (non-centred: with few benchmarks the
  // shift sd can sit near 0, a funnel for a centred parameterisation)
  vector[use_bench_shift * (B_own - 1)] benchmark_shift_z_zerosum;
  // ---- bias terms -------------------------------------------------------------------------
  array[use_provider] real<lower=0> provider_penalty;  // lost on host-served open scores
  array[use_host_effects] real<lower=0> host_sd;   // sd of a named host's log penalty factor
  vector[use_host_effects * H] host_z;             // standardised host effects
  array[use_self_report] real self_report_offset;      // added on self-reported scores
  array[use_contamination] real contamination;     // added on exposed open scores (x exposure)
  // ---- sigmoid links ----------------------------------------------------------------------
  vector[B_zs > 0 ? B_zs - 1 : 0] difficulty_zerosum; // free coordinates of the difficulties
  array[B_zs > 0] real<lower=0> log_slope_sd;      // sd of the zero-sum log slopes
  vector[B_zs > 0 ? B_zs - 1 : 0] log_slope_zerosum;  // free coordinates of the log slopes
  vector[B_sig] ceiling_z;                         // standardised logit(1 - ceiling)
  // log rate at which the asymmetric link nears its ceiling, log(shape slope): the data of a
  // saturated benchmark pin it, leaving the slope to the hierarchy along one axis
  vector[S_shape] log_top_rate;
  vector[B_sig] noise_z;                           // standardised log overdispersion sd
  // ---- linear links -----------------------------------------------------------------------
  vector[B_lin] linear_slope_z;                    // standardised log slopes
  vector[B_lin] linear_intercept_z;                // standardised intercepts
  vector[B_lin] linear_noise_z;                    // standardised log residual sd
  // ---- selection (after the likelihood's parameters, as the PyMC model adds them) ---------
  vector[K_frame] frame_ability;                   // abilities of the unscored frame models
  vector[use_selection * 2] selection_access;      // logit evaluation rate (closed, open)
  vector[use_selection * (B - 1)] selection_benchmark_zerosum; // free coordinates
  array[use_selection] real<lower=0> selection_family_sd; // sd of the labs' logit terms
  vector[N_sel_family] selection_family_z;         // standardised lab terms
  matrix[use_selection * B, 2] selection_era;      // era curve per benchmark (Legendre P1, P2)
  array[use_selection] real selection_capability;  // logit per capability unit over the frontier
}

transformed parameters {
  // log growth rate at the window's knots: first knot + sd^(1 - c) (knot - first knot), as a
  // product with data matrices (rep_matrix of a parameter once had a wrong gradient)
  matrix[2, W] log_growth
    = log_growth_partial * (pow(growth_rw_sd, 1 - growth_centring) * knot_identity
                            + (1 - pow(growth_rw_sd, 1 - growth_centring)) * first_spread);
  matrix[2, G] frontier;                           // general frontier on the grid (closed, open)
  // trend coordinates, multivariate normal with covariance (sd x trend_chol)(sd x trend_chol)'
  vector[P] category_trend = P > 0 ? category_trend_sd[1] * (trend_chol * category_trend_z)
                                   : rep_vector(0, 0);
  matrix[P > 0 && !use_rate_trends ? K_t : 0, N_cat] category_trend_knots; // level trends at the knots
  matrix[P > 0 && use_rate_trends ? K_t : 0, N_cat] category_rate_knots; // log rate ratios there
  // monotone categories: trend of each group's category frontiers on the grid (0 at the origin)
  array[use_rate_trends ? 2 : 0] matrix[N_cat, G] category_trend_grid;
  matrix[use_effort_category * (E - 1), N_cat] effort_category_z; // zero sum per effort class
  vector[use_bench_shift * B_own] benchmark_shift_z; // standardised benchmark shifts (sum zero)
  vector[B] benchmark_shift = rep_vector(0, B);    // benchmark part of the shift (sum zero)
  vector[B] open_shift;                            // open-vs-closed shift, mean zero
  vector[B_zs] difficulty;                         // benchmark difficulty (sum zero)
  vector[B_zs] log_slope;                          // log slope (sum zero)
  vector[B_zs] slope;                              // slope
  vector[B_sig] ceiling;                           // upper asymptote
  vector[use_shape * B_sig] shape;                 // shape of the link (1: the logistic)
  vector[B_sig] noise_sd;                          // overdispersion sd at p = 0.5
  vector[B_lin] linear_slope;                      // slope, linear benchmarks
  vector[B_lin] linear_intercept;                  // intercept, linear benchmarks
  vector[B_lin] linear_noise_sd;                   // residual sd, linear benchmarks
  vector[use_country * K_t] china_offset_knots;    // Chinese open offset at the trend knots
  // each family's log shortfall scale walk at the trend knots (0 for 'other')
  matrix[use_lab_curves * N_fam, K_t] lab_shortfall_walk;
  vector[use_host_effects * H] host_penalty;      // each named host's provider penalty
  vector[use_selection * B] selection_benchmark;   // benchmark terms of the evaluation logit
  {
    // log growth rate at every knot: the window's values, continued before and after it by
    // the non-centred walk from the window's first and last knots
    matrix[2, K_g] knots = log_growth * window_to_knots
                           + (growth_rw_sd * sqrt_knot_step)
                             * (growth_back_z * back_to_knots + growth_ahead_z * ahead_to_knots);
    // growth rate on the stacked grid (G x 2, to_vector is column-major: closed, open)
    // (not to_vector(x') of a parameter matrix: under autodiff, stanc --O1 and Stan Math
    // 4.9 read such a transpose in storage order, measured as a wrong log density)
    vector[2 * G] rate = to_vector(exp(growth_interp * knots'));
    // trapezoid integral along each curve; relative to the origin, plus the curve's level
    vector[2 * G] cum = cumulative_sum(grid_first_mask
                                       .* (0.5 * (rate + rate[grid_prev]) * grid_step));
    vector[2 * G] flat = cum - cum[grid_origin][grid_group]
                         + (closed_level + open_level * grid_open);
    frontier = closed_row * flat[1:G]' + open_row * flat[(G + 1):(2 * G)]';
    if (P > 0 && use_rate_trends) {
      // trend_map rows are (knot, category) row-major, as frontier_pymc reshapes them
      category_rate_knots = to_matrix(trend_map * category_trend, K_t, N_cat, 0);
      // growth of category c in group g: rate_g x exp(bounded log ratio); the trend is the
      // trapezoid integral of rate_g x (ratio - 1) from the origin (category_rates.py)
      matrix[G, N_cat] ratio_m1 = exp(rate_ratio_bound
                                      * tanh(trend_interp * category_rate_knots
                                             / rate_ratio_bound)) - 1.0;
      for (g in 1:2) {
        matrix[G, N_cat] inc = diag_pre_multiply(rate[((g - 1) * G + 1):(g * G)], ratio_m1);
        matrix[G, N_cat] cum_c;
        cum_c[1] = rep_row_vector(0.0, N_cat);
        for (i in 2:G) {
          cum_c[i] = cum_c[i - 1] + 0.5 * (inc[i] + inc[i - 1]) * grid_step;
        }
        category_trend_grid[g] = (cum_c - rep_matrix(cum_c[grid_origin[1]], G))';
      }
    }
  }
  if (P > 0 && !use_rate_trends) {
    // trend_map rows are (knot, category) row-major, as frontier_pymc reshapes them. (The
    // P trend coordinates are array-of-structs anyway: multi_normal_cholesky needs it.)
    category_trend_knots = to_matrix(trend_map * category_trend, K_t, N_cat, 0);
  }
  if (use_country) {
    china_offset_knots = china_offset[1] + china_trend_sd[1] * (country_walk * china_trend_z);
  }
  if (use_host_effects) {
    host_penalty = provider_penalty[1] * exp(host_sd[1] * host_z);
  }
  if (use_lab_curves) {
    lab_shortfall_walk = diag_pre_multiply(lab_mask,
                                           lab_trend_sd[1] * (lab_trend_z * country_walk'));
  }
  effort_category_z = effort_category_z_zerosum * zs_cat_t;
  if (use_bench_shift) {
    benchmark_shift_z = zs_own * benchmark_shift_z_zerosum;
    benchmark_shift[own_bench] = benchmark_shift_sd[1] * benchmark_shift_z;
  }
  if (use_selection) {
    selection_benchmark = zs_bench * selection_benchmark_zerosum;
  }
  open_shift = open_shifts(public_shift, category_shift_sd, category_shift_z, benchmark_shift,
                           bench_public_centred, shift_category_basis, bench_category);
  if (B_zs > 0) {
    difficulty = zs_sig * difficulty_zerosum;
    log_slope = zs_sig * log_slope_zerosum;
    slope = exp(log_slope);
  }
  ceiling = 1.0 - inv_logit(ceiling_mu + ceiling_sigma .* ceiling_z);
  if (use_shape) {
    shape = rep_vector(1.0, B_sig);
    shape[shaped_idx] = exp(log_top_rate
                            - (B_zs > 0 ? log_slope[shaped_idx] : rep_vector(0.0, S_shape)));
  }
  noise_sd = exp(mu_noise_log_sd + sigma_noise_log_sd * noise_z);
  linear_slope = exp(mu_linear_log_slope + sigma_linear_log_slope * linear_slope_z);
  linear_intercept = mu_linear_intercept + sigma_linear_intercept * linear_intercept_z;
  linear_noise_sd = exp(mu_linear_noise_log_sd + sigma_linear_noise_log_sd * linear_noise_z);
}

model {
  // no deviations (switch category_deviations off): nothing is folded or sampled apart either
  real dev_sd = use_category_dev ? category_dev_sd[1] : 0.0;
  // ---- priors (half-normals through the lower bounds) -------------------------------------
  growth_rw_sd ~ normal(0, sigma_growth_rw);
  // GaussianRandomWalk: first knot ~ N(start), increments ~ N(0, growth_rw_sd^c sqrt(dt))
  log_growth_partial * first_knot ~ normal(mu_log_growth_start, sigma_log_growth_start);
  to_vector(log_growth_partial * knot_diff)
    ~ normal(0, pow(growth_rw_sd, growth_centring) * sqrt_knot_step);
  to_vector(growth_back_z) ~ std_normal();
  to_vector(growth_ahead_z) ~ std_normal();
  closed_level ~ normal(mu_closed_level, sigma_closed_level);
  open_level ~ normal(mu_open_level, sigma_open_level);
  category_trend_sd ~ normal(0, sigma_category_trend);
  category_trend_z ~ std_normal();
  frontier_noise_sd ~ lognormal(mu_frontier_noise, sigma_frontier_noise);
  shortfall_log_scale ~ normal(mu_shortfall_log_scale, sigma_shortfall_log_scale);
  shortfall_family_sd ~ normal(0, sigma_shortfall_family_sd);
  shortfall_family_z ~ std_normal();
  single_dev_z ~ std_normal();
  lab_trend_sd ~ normal(0, sigma_lab_trend);
  to_vector(lab_trend_z) ~ std_normal();
  china_offset ~ normal(mu_china_offset, sigma_china_offset);
  china_trend_sd ~ normal(0, sigma_china_trend);
  china_trend_z ~ std_normal();
  category_dev_sd ~ normal(0, sigma_category_dev);
  {
    // Composed error: ability = frontier at release + v - u, v ~ N(0, sv_k), u half-normal
    // with scale su (by family) is skew-normal with sd sqrt(su^2 + sv_k^2) and shape
    // -su / sv_k. A base model scored in one category has its category deviation in v
    // (exact marginalisation).
    // column-major: closed and open alternate (index 2 (j - 1) + group); see the note on
    // to_vector(x') in transformed parameters
    vector[2 * G] flat = to_vector(frontier);
    vector[K] at_release = flat[base_left] .* (1.0 - base_frac) + flat[base_right] .* base_frac;
    if (use_country) {
      at_release += base_country * china_offset_knots;
    }
    vector[K] log_su = (shortfall_log_scale + shortfall_family_sd * shortfall_family_z)
                       [base_family];
    if (use_lab_curves) {
      log_su += rows_dot_product(lab_shortfall_walk[base_family], base_trend);
    }
    vector[K] su = exp(log_su);
    // with the selection term a single-category model's deviation is sampled apart
    // (single_dev_z): its ability is the cell ability, around the frontier + dev_sd z
    at_release[single_bases] += dev_sd * single_dev_z;
    vector[K] sv = sqrt(rep_vector(square(frontier_noise_sd), K)
                        + square(dev_sd) * base_single * (1 - use_selection));
    if (use_gamma_shortfall) {
      ability - at_release ~ normal_gamma2(su, sv);
    } else {
      ability ~ skew_normal(at_release, sqrt(square(su) + square(sv)), -su ./ sv);
    }
  }
  if (use_category_dev) {
    category_dev ~ normal(0, dev_sd);
  }
  category_dev_z ~ std_normal();
  effort ~ normal(mu_effort, sigma_effort);
  effort_category_sd ~ normal(0, sigma_effort_category);
  // ZeroSumNormal(1) along the categories: N(0, 1) on the free coordinates
  to_vector(effort_category_z_zerosum) ~ std_normal();
  public_shift ~ normal(mu_public_shift, sigma_public_shift);
  category_shift_sd ~ normal(0, sigma_category_shift);
  category_shift_z ~ std_normal();
  benchmark_shift_sd ~ normal(0, sigma_benchmark_shift);
  benchmark_shift_z_zerosum ~ std_normal();
  provider_penalty ~ normal(0, sigma_provider_penalty);
  host_sd ~ normal(0, sigma_host_effect);
  host_z ~ std_normal();
  self_report_offset ~ normal(mu_self_report_offset, sigma_self_report_offset);
  contamination ~ normal(mu_contamination, sigma_contamination);
  // ZeroSumNormal(sigma): N(0, sigma) on the n - 1 free coordinates (Q is orthonormal)
  difficulty_zerosum ~ normal(0, sigma_difficulty);
  log_slope_sd ~ normal(0, sigma_log_slope_sd);
  if (B_zs > 0) {
    log_slope_zerosum ~ normal(0, log_slope_sd[1]);
  }
  ceiling_z ~ std_normal();
  if (use_shape) {
    // log shape ~ N(mu, sigma), written for log_top_rate = log shape + log slope (Jacobian 1)
    log_top_rate ~ normal((B_zs > 0 ? log_slope[shaped_idx] : rep_vector(0.0, S_shape))
                          + mu_log_shape, sigma_log_shape);
  }
  noise_z ~ std_normal();
  linear_slope_z ~ std_normal();
  linear_intercept_z ~ std_normal();
  linear_noise_z ~ std_normal();

  // ---- selection: which frame models are evaluated on which benchmarks --------------------
  if (use_selection) {
    vector[2 * G] flat = to_vector(frontier);
    // the scored models' prior (their lab's shortfall scale, walk and country offset);
    // no category deviation to fold in
    vector[K_frame] at_frame = flat[frame_left] .* (1.0 - frame_frac)
                               + flat[frame_right] .* frame_frac;
    if (use_country) {
      at_frame += frame_country * china_offset_knots;
    }
    vector[K_frame] log_su = (shortfall_log_scale + shortfall_family_sd * shortfall_family_z)
                             [frame_family];
    if (use_lab_curves) {
      log_su += rows_dot_product(lab_shortfall_walk[frame_family], frame_trend);
    }
    vector[K_frame] su = exp(log_su);
    if (use_gamma_shortfall) {
      frame_ability - at_frame ~ normal_gamma2(su, rep_vector(frontier_noise_sd, K_frame));
    } else {
      frame_ability ~ skew_normal(at_frame, sqrt(square(su) + square(frontier_noise_sd)),
                                  -su / frontier_noise_sd);
    }
    vector[K] general = ability;                   // the cell ability minus the deviation
    general[single_bases] -= dev_sd * single_dev_z;
    vector[K + K_frame] relative = append_row(general, frame_ability)
                                   - (flat[unit_closed_left] .* (1.0 - unit_frac)
                                      + flat[unit_closed_right] .* unit_frac);
    selection_access ~ normal(mu_selection_access, sigma_selection_access);
    selection_benchmark_zerosum ~ normal(0, sigma_selection_benchmark);
    selection_family_sd ~ normal(0, sigma_selection_family_sd);
    selection_family_z ~ std_normal();
    to_vector(selection_era) ~ normal(0, sigma_selection_era);
    selection_capability ~ normal(mu_selection_capability, sigma_selection_capability);
    cand_evaluated ~ bernoulli_logit(selection_access[cand_group]
                                     + selection_benchmark[cand_bench]
                                     + selection_family_sd[1]
                                       * selection_family_z[unit_family[cand_unit]]
                                     + col(selection_era, 1)[cand_bench] .* cand_era
                                     + col(selection_era, 2)[cand_bench]
                                       .* (1.5 * square(cand_era) - 0.5)
                                     + selection_capability[1] * relative[cand_unit]);
  }

  // ---- likelihood -------------------------------------------------------------------------
  {
    vector[N] theta = capability(ability, cell_trends(category_trend, cell_trend, category_trend_grid,
                                             cell_group, cell_left, cell_frac, cell_cat),
                                 category_dev, category_dev_z,
                                 dev_sd, effort, effort_category_sd,
                                 effort_category_z, open_shift, provider_penalty,
                                 self_report_offset, cell_base, rich_idx,
                                 rich_mask, poor_idx, poor_mask, obs_cell, obs_effort_idx,
                                 obs_effort_mask, obs_bench, obs_open,
                                 host_weight(obs_host, obs_host_idx, host_sd, host_z),
                                 obs_self)
                 + (use_contamination ? contamination[1] * obs_exposure : rep_vector(0.0, N));
    vector[B_sig] link_shape = use_shape ? shape : rep_vector(1.0, B_sig);
    if (N_sig > 0) {
      // zs_sig * (no coordinates) = [0]: a single sigmoid benchmark has difficulty 0 and
      // slope 1, without the (then size-0) transformed parameters
      vector[N_sig] p = sigmoid_mean(theta[sig_obs], chance_sig, ceiling[sig_bench],
                                     exp(zs_sig * log_slope_zerosum)[sig_bench],
                                     (zs_sig * difficulty_zerosum)[sig_bench],
                                     link_shape[sig_bench], use_shape);
      y_sig ~ normal(p, sigmoid_sd(p, se_sig, binomial_per_item_sig, noise_sd[sig_bench],
                                   reporting_sd));
    }
    if (N_lin > 0) {
      y_lin ~ normal(linear_intercept[lin_bench] + linear_slope[lin_bench] .* theta[lin_obs],
                     sqrt(square(se_lin) + square(linear_noise_sd[lin_bench])));
    }
  }
}

generated quantities {
  vector[N_sig] log_lik_y_sig;                     // pointwise log-likelihood, sigmoid scores
  vector[N_lin] log_lik_y_lin;                     // pointwise log-likelihood, linear scores
  vector[N_sig] y_sig_rep;                         // posterior predictive sigmoid scores
  vector[N_lin] y_lin_rep;                         // posterior predictive linear scores
  {
    vector[N] theta = capability(ability, cell_trends(category_trend, cell_trend, category_trend_grid,
                                             cell_group, cell_left, cell_frac, cell_cat),
                                 category_dev, category_dev_z,
                                 use_category_dev ? category_dev_sd[1] : 0.0, effort,
                                 effort_category_sd,
                                 effort_category_z, open_shift, provider_penalty,
                                 self_report_offset, cell_base, rich_idx,
                                 rich_mask, poor_idx, poor_mask, obs_cell, obs_effort_idx,
                                 obs_effort_mask, obs_bench, obs_open,
                                 host_weight(obs_host, obs_host_idx, host_sd, host_z),
                                 obs_self)
                 + (use_contamination ? contamination[1] * obs_exposure : rep_vector(0.0, N));
    vector[B_sig] link_shape = use_shape ? shape : rep_vector(1.0, B_sig);
    if (N_sig > 0) {
      vector[N_sig] p = sigmoid_mean(theta[sig_obs], chance_sig, ceiling[sig_bench],
                                     exp(zs_sig * log_slope_zerosum)[sig_bench],
                                     (zs_sig * difficulty_zerosum)[sig_bench],
                                     link_shape[sig_bench], use_shape);
      vector[N_sig] sd = sigmoid_sd(p, se_sig, binomial_per_item_sig, noise_sd[sig_bench],
                                    reporting_sd);
      log_lik_y_sig = normal_pointwise(y_sig, p, sd);
      y_sig_rep = to_vector(normal_rng(p, sd));
    }
    if (N_lin > 0) {
      vector[N_lin] mu = linear_intercept[lin_bench] + linear_slope[lin_bench] .* theta[lin_obs];
      vector[N_lin] sd = sqrt(square(se_lin) + square(linear_noise_sd[lin_bench]));
      log_lik_y_lin = normal_pointwise(y_lin, mu, sd);
      y_lin_rep = to_vector(normal_rng(mu, sd));
    }
  }
}
