"""Benign overfitting of a two-layer ReLU CNN with a trainable output layer (arXiv:2410.19139, Shang, Meng, Cao,
Zou, "Initialization Matters: On the Benign Overfitting of Two-Layer ReLU CNN with Fully Trainable Layers").

Data (the signal–noise patch model of Cao et al. 2022 and Kou et al. 2023). A sample is a label y ∈ {±1}
(uniform) and two patches x = (x₁, x₂) ∈ R^d × R^d: the signal patch x₁ = y·μ and the noise patch x₂ = ξ,
ξ ~ N(0, σ_p²(I − μμᵀ/‖μ‖²)). We take μ = ‖μ‖·e₁, so ξ is N(0, σ_p²) on coordinates 2..d and 0 on the first.
(Which patch holds the signal does not matter: the network treats its patches symmetrically.)

Model (the paper's parameterization). 2m filters, m per class j ∈ {+1, −1}, and a trainable output weight per
class j, filter r and patch p:

    f(W, v; x) = F₊₁(x) − F₋₁(x),   F_j(x) = Σ_r Σ_{p=1,2} v_{j,r,p} ReLU(⟨w_{j,r}, x_p⟩),

initialized at w_{j,r} ~ N(0, σ₀² I_d) and v_{j,r,p} = v₀ (the classic setting fixes the output layer at 1/m and
trains W only). ``v: (B, 2m, 2)``, patch 0 the signal patch y·μ, patch 1 the noise patch ξ (the paper's p = 1, 2).
Loss: the logistic loss L = (1/n) Σ_i log(1 + exp(−y_i f(x_i))), trained by full-batch gradient descent.

Gradient flow, a conservation law (ours). f is 1-homogeneous in w_r and linear in (v_{r,1}, v_{r,2}), so along the
flow v_{r,1}² + v_{r,2}² − ‖w_r‖² is constant. Unlike the shared-v variant (one v per filter, for which
|v_r|/‖w_r‖ → 1 is forced by the law), the law does not fix the paper's ratio ⟨w_{y_i,r}, ξ_i⟩ / v_{y_i,r,2}:
that ratio is measured.

Step rule. GD with a per-trial, per-step learning rate η = c / S, where S ≥ the largest Hessian eigenvalue of
that trial: S = λ̄(Gauss–Newton) + max_r ‖g_r‖, with λ̄ the Gershgorin bound of the (n × n) Gauss–Newton Gram
matrix (exact inner products of the per-sample gradients; ⟨μ, ξ⟩ = 0 is used) and [[0, g_rᵀ], [g_r, 0]] the
only other (bilinear) block of the Hessian, g_r = ∂L/∂w_r / v_r. With c ≪ 1 this is gradient flow
discretized with relative error O(c) per step, whatever the scale of the trial (the time t = Σ η is the flow's
time); halving c is the accuracy check. A trial stops (is frozen) as soon as its training loss is ≤
``loss_target``, the usual stopping time of the benign-overfitting analyses.

All trials (output scales v₀, signal strengths ‖μ‖, sample sizes n, dimensions d, seeds) are ONE tensor program
with a leading batch dimension: smaller n are masked, smaller d are zero-padded (the padded coordinates of w
and ξ stay exactly zero). Seed s fixes the labels, the training and test noise and the direction of W(0), shared
by every trial with that seed (common random numbers across v₀, ‖μ‖ and σ₀; smaller n and d use the leading
rows and coordinates of the same draws). Float64, CPU by default, device-agnostic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from ..core.dynamics import single_thread

Tensor = torch.Tensor


@dataclass(frozen=True)
class Setting:
    """What every trial of a sweep shares (all stated on the page).

    ``m``: filters per class; ``sigma_p``: noise level; ``n_test``: fresh test samples per seed; ``loss_target``: stop when the training loss is ≤ this; ``lr_factor``: c in η = c / S;
    ``max_steps``: cap on GD steps."""

    m: int = 10
    sigma_p: float = 1.0
    n_test: int = 2000
    loss_target: float = 0.01
    lr_factor: float = 0.1
    max_steps: int = 1500


_TRIAL_FIELDS = ("v0", "mu", "n", "d", "seed", "sigma_0", "lr_scale")


@dataclass
class Trials:
    """The per-trial values of a sweep, each ``(B,)``: output-layer scale v₀, ‖μ‖, sample size n, dimension d,
    seed, σ₀ (std of W(0)) and ``lr_scale`` (the trial's step is ``lr_scale`` · c / S and its step cap
    ``max_steps / lr_scale``: 0.5 is the same trial at half the learning rate; default 1)."""

    v0: np.ndarray
    mu: np.ndarray
    n: np.ndarray
    d: np.ndarray
    seed: np.ndarray
    sigma_0: np.ndarray
    lr_scale: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.lr_scale is None:
            self.lr_scale = np.ones(len(self.v0))

    @staticmethod
    def product(v0s, mus, ns, ds, seeds, sigma_0s=(1e-3,), lr_scale: float = 1.0) -> Trials:
        """The full grid, in the order (σ₀, n, d, v₀, ‖μ‖, seed) with the seed fastest."""
        g = np.array(np.meshgrid(sigma_0s, ns, ds, v0s, mus, seeds, indexing="ij"), dtype=float).reshape(
            6, -1
        )
        return Trials(
            v0=g[3],
            mu=g[4],
            n=g[1].astype(int),
            d=g[2].astype(int),
            seed=g[5].astype(int),
            sigma_0=g[0],
            lr_scale=np.full(g.shape[1], float(lr_scale)),
        )

    @staticmethod
    def concat(parts: list[Trials]) -> Trials:
        return Trials(*(np.concatenate([getattr(p, k) for p in parts]) for k in _TRIAL_FIELDS))

    def __len__(self) -> int:
        return len(self.v0)


def _normal_rows(seed: int, tag: int, rows: int, cols: int) -> Tensor:
    """Standard-normal ``(rows, cols)``, row i from its own stream (seed, tag, i): a trial with fewer samples
    or a smaller dimension sees the leading block of the same numbers, whatever else is in the sweep."""
    return torch.from_numpy(
        np.stack([np.random.default_rng([seed, tag, i]).standard_normal(cols) for i in range(rows)])
    )


def seed_draws(seed: int, n_max: int, d_max: int, n_test: int, m: int) -> dict[str, Tensor]:
    """The random numbers of one seed (float64): labels, unit-variance noise (coordinate 0, the direction of μ,
    set to 0), test labels and noise, and the standard-normal direction of W(0) ``(2m, d_max)``. Each row has
    its own stream, so the draws of a trial do not depend on the other trials' n and d."""
    seed = int(seed)
    y = torch.from_numpy(np.where(np.random.default_rng([seed, 0]).random(n_max) < 0.5, 1.0, -1.0))
    y_test = torch.from_numpy(np.where(np.random.default_rng([seed, 1]).random(n_test) < 0.5, 1.0, -1.0))
    xi = _normal_rows(seed, 2, n_max, d_max)
    xi_test = _normal_rows(seed, 3, n_test, d_max)
    w_hat = _normal_rows(seed, 4, 2 * m, d_max)
    xi[:, 0] = 0.0
    xi_test[:, 0] = 0.0
    return {"y": y, "xi": xi, "y_test": y_test, "xi_test": xi_test, "w_hat": w_hat}


def build_batch(trials: Trials, setting: Setting, device: str | torch.device = "cpu") -> dict[str, Tensor]:
    """Stacked data and initial parameters of every trial.

    Returns ``y: (B, N)``, ``mask: (B, N)`` (1 for the trial's first n samples), ``xi: (B, N, D)`` (σ_p-scaled,
    zero beyond the trial's d), ``mu: (B, D)`` (= ‖μ‖e₁), ``W0: (B, 2m, D)``, ``v0: (B, 2m, 2)`` (per patch), the per-seed test
    set ``y_test: (S, T)``, ``xi_test: (S, T, D)`` and ``seed_index: (B,)`` into it. N = max n, D = max d.
    """
    N, D, m = int(trials.n.max()), int(trials.d.max()), setting.m
    seeds = sorted(set(int(s) for s in trials.seed))
    draws = [seed_draws(s, N, D, setting.n_test, m) for s in seeds]
    idx = torch.as_tensor([seeds.index(int(s)) for s in trials.seed])
    Y = torch.stack([d["y"] for d in draws])[idx]
    XI = torch.stack([d["xi"] for d in draws])[idx] * setting.sigma_p
    WH = torch.stack([d["w_hat"] for d in draws])[idx]
    n_t, d_t = torch.as_tensor(trials.n), torch.as_tensor(trials.d)
    mask = (torch.arange(N)[None, :] < n_t[:, None]).double()
    dmask = (torch.arange(D)[None, :] < d_t[:, None]).double()
    XI = XI * dmask[:, None, :] * mask[:, :, None]
    mu = torch.zeros(len(trials), D, dtype=torch.float64)
    mu[:, 0] = torch.as_tensor(trials.mu, dtype=torch.float64)
    W0 = torch.as_tensor(trials.sigma_0, dtype=torch.float64)[:, None, None] * WH * dmask[:, None, :]
    v0 = torch.as_tensor(trials.v0, dtype=torch.float64)[:, None, None].expand(-1, 2 * m, 2).clone()
    out = {
        "y": Y,
        "mask": mask,
        "xi": XI,
        "mu": mu,
        "W0": W0,
        "v0": v0,
        "seed_index": idx,
        "y_test": torch.stack([d["y_test"] for d in draws]),
        "xi_test": torch.stack([d["xi_test"] for d in draws]) * setting.sigma_p,
    }
    return {k: v.to(device) for k, v in out.items()}


def class_signs(m: int, dtype=torch.float64, device=None) -> Tensor:
    """s_r = +1 for the m filters of class +1, −1 for the m of class −1: ``(2m,)``."""
    return torch.cat([torch.ones(m, dtype=dtype, device=device), -torch.ones(m, dtype=dtype, device=device)])


def forward(W: Tensor, v: Tensor, y: Tensor, xi: Tensor, mu: Tensor) -> dict[str, Tensor]:
    """Network outputs on samples (y·μ, ξ): pre-activations ``a_s, a_n: (B, N, 2m)`` of the signal and noise
    patches, activations ``h_s, h_n: (B, N, 2m)`` and outputs ``f: (B, N)``; ``v: (B, 2m, 2)`` per patch."""
    m2 = W.shape[1]
    s = class_signs(m2 // 2, W.dtype, W.device)
    a_s = y[:, :, None] * torch.einsum("brd,bd->br", W, mu)[:, None, :]
    a_n = torch.bmm(xi, W.transpose(1, 2))
    h_s, h_n = torch.relu(a_s), torch.relu(a_n)
    f = torch.einsum("bnr,br->bn", h_s, v[..., 0] * s) + torch.einsum("bnr,br->bn", h_n, v[..., 1] * s)
    return {"a_s": a_s, "a_n": a_n, "h_s": h_s, "h_n": h_n, "f": f}


def loss_and_grad(W: Tensor, v: Tensor, data: dict[str, Tensor], xi_gram: Tensor) -> dict[str, Tensor]:
    """Logistic loss, its gradients and the sharpness bound S of each trial.

    ``W: (B, 2m, D)``, ``v: (B, 2m)``; ``xi_gram: (B, N, N)`` the Gram matrix of the training noise. Returns
    ``loss, S, train_acc: (B,)``, ``gW: (B, 2m, D)``, ``gv: (B, 2m)``.
    """
    y, mask, xi, mu = data["y"], data["mask"], data["xi"], data["mu"]
    m2 = W.shape[1]
    s = class_signs(m2 // 2, W.dtype, W.device)
    fw = forward(W, v, y, xi, mu)
    n = mask.sum(1)
    z = y * fw["f"]
    loss = (torch.nn.functional.softplus(-z) * mask).sum(1) / n
    sig = torch.sigmoid(-z)
    gf = -y * sig * mask / n[:, None]  # dL/df_i
    one_s, one_n = (fw["a_s"] > 0).double(), (fw["a_n"] > 0).double()
    gv = (
        torch.stack(
            [torch.einsum("bn,bnr->br", gf, fw["h_s"]), torch.einsum("bn,bnr->br", gf, fw["h_n"])], -1
        )
        * s[None, :, None]
    )
    c_sig = torch.einsum("bn,bnr->br", gf * y, one_s)  # ∂L/∂w_r = s_r (v_{r,1} c_sig_r μ + v_{r,2} G_n,r)
    G_n = torch.bmm((gf[:, :, None] * one_n).transpose(1, 2), xi)
    v1, v2 = v[..., 0], v[..., 1]
    gW = (s * v2)[:, :, None] * G_n + (s * v1 * c_sig)[:, :, None] * mu[:, None, :]
    # Gauss–Newton Gram of the per-sample gradients ∇f_i (exact; ⟨μ, ξ⟩ = 0)
    K = torch.bmm(fw["h_s"], fw["h_s"].transpose(1, 2)) + torch.bmm(fw["h_n"], fw["h_n"].transpose(1, 2))
    K = (
        K
        + torch.bmm(one_s * (v1**2)[:, None, :], one_s.transpose(1, 2))
        * (y[:, :, None] * y[:, None, :])
        * (mu**2).sum(1)[:, None, None]
    )
    K = K + torch.bmm(one_n * (v2**2)[:, None, :], one_n.transpose(1, 2)) * xi_gram
    w2 = (sig * (1 - sig) * mask / n[:, None]).sqrt()
    GN = w2[:, :, None] * K * w2[:, None, :]
    lam = GN.abs().sum(2).amax(1)
    # the bilinear (w_r, v_r) blocks [[0, g_rᵀ], [g_r, 0]] with g_r = (c_sig_r μ, G_n,r): norm ≤ their size
    gblock = ((c_sig**2) * (mu**2).sum(1)[:, None] + (G_n**2).sum(2)).sqrt()
    S = lam + gblock.amax(1)
    acc = ((z > 0).double() * mask).sum(1) / n
    return {"loss": loss, "S": S, "gW": gW, "gv": gv, "train_acc": acc}


def fresh_accuracy(W: Tensor, v: Tensor, data: dict[str, Tensor]) -> Tensor:
    """Accuracy on the fresh test set of each trial's seed (a tie f = 0 counts as an error): ``(B,)``.

    The trials of one seed share its test set, so they are evaluated together (one matrix product per seed;
    W is zero beyond each trial's d, so the full-width test noise gives the trial's own inputs)."""
    s = class_signs(W.shape[1] // 2, W.dtype, W.device)
    acc = torch.empty(W.shape[0], dtype=W.dtype, device=W.device)
    for k in torch.unique(data["seed_index"]).tolist():
        sel = data["seed_index"] == k
        Wk, vk, muk = W[sel], v[sel], data["mu"][sel]
        yt, xt = data["y_test"][k], data["xi_test"][k]  # (T,), (T, D)
        a_n = torch.einsum("brd,td->btr", Wk, xt)
        a_s = yt[None, :, None] * torch.einsum("brd,bd->br", Wk, muk)[:, None, :]
        f = torch.einsum("btr,br->bt", torch.relu(a_s), vk[..., 0] * s) + torch.einsum(
            "btr,br->bt", torch.relu(a_n), vk[..., 1] * s
        )
        acc[sel] = ((yt[None, :] * f) > 0).double().mean(1)
    return acc


_TRAIN_KEYS = ("W", "v", "t", "steps", "q0", "v_init", "v0", "lr", "cap")
_DATA_KEYS = ("y", "mask", "xi", "mu", "xi_gram")
RECORDS = (
    "t",
    "loss",
    "v_norm",
    "W_norm",
    "ratio",
    "ratio_med",
    "ratio_min",
    "ratio_max",
    "v_change",
    "drift",
    "noise_inner",
    "v_noise",
    "paper_ratio",
)


def paper_quantities(W: Tensor, v: Tensor, data: dict[str, Tensor]) -> dict[str, Tensor]:
    """The quantities of the paper's Figure 3, per filter index r (``(B, m)``): max_i ⟨w_{y_i,r}, ξ_i⟩ (the hidden
    layer on the noise patch, over the training samples), max_i v_{y_i,r,2} (the output weight on the noise patch)
    and their ratio."""
    m = W.shape[1] // 2
    a_n = torch.bmm(data["xi"], W.transpose(1, 2))  # (B, N, 2m)
    own = torch.where(data["y"][:, :, None] > 0, a_n[..., :m], a_n[..., m:])  # ⟨w_{y_i,r}, ξ_i⟩: (B, N, m)
    own = own.masked_fill(data["mask"][:, :, None] == 0, float("-inf"))
    pos = ((data["y"] > 0) & (data["mask"] > 0)).any(1)[:, None]
    neg = ((data["y"] < 0) & (data["mask"] > 0)).any(1)[:, None]
    vn = torch.maximum(torch.where(pos, v[:, :m, 1], -torch.inf), torch.where(neg, v[:, m:, 1], -torch.inf))
    A = own.amax(1)
    return {"noise_inner": A, "v_noise": vn, "paper_ratio": A / vn}


def _metrics(st: dict[str, Tensor], loss: Tensor, wd: dict[str, Tensor]) -> dict[str, Tensor]:
    """The recorded quantities of the trials in ``st`` (see :func:`train`)."""
    W, v = st["W"], st["v"]
    wn = W.norm(dim=2)
    vr = v.norm(dim=2)
    r = vr / wn
    pq = paper_quantities(W, v, wd)
    return {
        "t": st["t"],
        "loss": loss,
        "v_norm": vr.norm(dim=1),
        "W_norm": wn.norm(dim=1),
        "ratio": vr.norm(dim=1) / wn.norm(dim=1),
        "ratio_med": r.median(dim=1).values,
        "ratio_min": r.amin(1),
        "ratio_max": r.amax(1),
        "v_change": (v - st["v0"]).flatten(1).norm(dim=1) / st["v_init"],
        "drift": ((vr**2 - wn**2 - st["q0"]).abs() / (vr**2 + wn**2)).amax(1),
        **{k: val.median(dim=1).values for k, val in pq.items()},
    }


def train(
    trials: Trials, setting: Setting, *, device: str | torch.device = "cpu", progress: bool = False
) -> dict[str, np.ndarray]:
    """Batched full-batch GD of every trial until its training loss is ≤ ``loss_target`` (or its step cap,
    ``max_steps / lr_scale``). Runs single-threaded inside: the per-trial tensors are tiny, and torch's thread
    pool made a 132-trial sweep 10x slower on a loaded 2-core machine (96 s against 9 s).

    Returns numpy arrays: per step k (``(K, B)``, K = steps taken by the slowest trial + 1; a finished trial
    repeats its final values) the time ``t``, the training ``loss``, ``v_norm`` ‖v‖, ``W_norm`` ‖W‖_F, the layer
    ``ratio`` ‖v‖/‖W‖_F, the median / min / max over filters of ‖v_r‖/‖w_r‖ (v_r = (v_{r,1}, v_{r,2})),
    ``v_change`` ‖v − v(0)‖/‖v(0)‖, ``drift``, the largest change of the conserved ‖v_r‖² − ‖w_r‖² relative to
    ‖v_r‖² + ‖w_r‖², and the paper's Figure-3 quantities (medians over r of :func:`paper_quantities`):
    ``noise_inner`` max_i ⟨w_{y_i,r}, ξ_i⟩, ``v_noise`` max_i v_{y_i,r,2} and ``paper_ratio``; per trial the
    ``steps`` taken, ``final_loss``, ``train_acc``, ``test_acc`` (fresh data), ``final_t``, the filter norms
    ``w_norms: (B, 2m)`` (and ``w0_norms`` at the start), output weights ``v: (B, 2m, 2)``, the signal components
    ``w_signal`` = ⟨w_r, μ⟩/‖μ‖, and
    ``wall_time``. Finished trials are dropped from the working batch, so late steps cost less.
    """
    with single_thread(torch.device(device).type == "cpu"):
        return _train(trials, setting, device=device, progress=progress)


def _train(
    trials: Trials, setting: Setting, *, device: str | torch.device = "cpu", progress: bool = False
) -> dict[str, np.ndarray]:
    """The body of :func:`train` (the caller sets the threads)."""
    t0 = time.perf_counter()
    data = build_batch(trials, setting, device)
    data["xi_gram"] = torch.bmm(data["xi"], data["xi"].transpose(1, 2))
    B = len(trials)
    W, v = data["W0"].clone(), data["v0"].clone()
    st = {
        "W": W,
        "v": v,
        "t": torch.zeros(B, dtype=torch.float64, device=W.device),
        "steps": torch.zeros(B, dtype=torch.int64, device=W.device),
        "q0": (v**2).sum(2) - (W**2).sum(2),
        "v_init": v.flatten(1).norm(dim=1),
        "v0": v.clone(),
    }
    lr = torch.as_tensor(trials.lr_scale, dtype=torch.float64, device=W.device) * setting.lr_factor
    cap = torch.as_tensor(np.ceil(setting.max_steps / np.asarray(trials.lr_scale)), device=W.device).long()
    st["lr"], st["cap"] = lr, cap
    work = torch.arange(B, device=W.device)  # trials in the working batch
    wd = {k: data[k] for k in _DATA_KEYS}
    full = {k: st[k].clone() for k in ("W", "v", "t", "steps")}
    last = {k: torch.zeros(B, dtype=torch.float64, device=W.device) for k in RECORDS}
    final = {k: torch.zeros(B, dtype=torch.float64, device=W.device) for k in ("loss", "train_acc")}
    rec: dict[str, list[Tensor]] = {k: [] for k in RECORDS}
    k = 0
    while True:
        out = loss_and_grad(st["W"], st["v"], wd, wd["xi_gram"])
        for key, val in _metrics(st, out["loss"], wd).items():
            last[key][work] = val
            rec[key].append(last[key].clone())
        final["loss"][work], final["train_acc"][work] = out["loss"], out["train_acc"]
        active = (out["loss"] > setting.loss_target) & (st["steps"] < st["cap"])
        n_active = int(active.sum())
        if n_active < active.numel() * 0.7 or n_active == 0:  # drop finished trials from the working batch
            for key in full:
                full[key][work] = st[key]
            keep = active.nonzero().squeeze(1)
            work = work[keep]
            st = {key: val[keep] for key, val in st.items()}
            wd = {key: val[keep] for key, val in wd.items()}
            out = {key: val[keep] for key, val in out.items()}
            active = active[keep]
        if n_active == 0:
            break
        eta = torch.where(active, st["lr"] / out["S"], torch.zeros_like(out["S"]))
        st["W"] = st["W"] - eta[:, None, None] * out["gW"]
        st["v"] = st["v"] - eta[:, None, None] * out["gv"]
        st["t"] = st["t"] + eta
        st["steps"] = st["steps"] + active.long()
        k += 1
        if progress and k % 100 == 0:
            print(f"step {k}: {n_active} of {B} trials still training", flush=True)
    W, v = full["W"], full["v"]
    res = {key: torch.stack(vals).cpu().numpy() for key, vals in rec.items()}
    res.update(
        {
            "steps": full["steps"].cpu().numpy(),
            "final_loss": final["loss"].cpu().numpy(),
            "train_acc": final["train_acc"].cpu().numpy(),
            "test_acc": fresh_accuracy(W, v, data).cpu().numpy(),
            "final_t": full["t"].cpu().numpy(),
            "w_norms": W.norm(dim=2).cpu().numpy(),
            "w0_norms": data["W0"].norm(dim=2).cpu().numpy(),
            "v": v.cpu().numpy(),
            "w_signal": (torch.einsum("brd,bd->br", W, data["mu"]) / data["mu"].norm(dim=1)[:, None])
            .cpu()
            .numpy(),
            "wall_time": np.array(time.perf_counter() - t0),
        }
    )
    return res


def snr_quantity(mu, n, d, sigma_p) -> np.ndarray:
    """n‖μ‖⁴ / (σ_p⁴ d): the quantity on which the benign / harmful boundary of the fixed-output-layer analysis
    (Kou et al. 2023; the large-v₀ regime of arXiv:2410.19139) lies: benign iff it is large."""
    mu, n, d = (np.asarray(a, float) for a in (mu, n, d))
    return n * mu**4 / (sigma_p**4 * d)


def conserved_ratio(v0: np.ndarray, w0_norm: np.ndarray, w_norm: np.ndarray) -> np.ndarray:
    """|v_r|/‖w_r‖ implied by the gradient-flow conservation law v_r² − ‖w_r‖² = v₀² − ‖w_r(0)‖² at filter
    norm ‖w_r‖ (broadcasting; NaN where the law would make v_r² negative)."""
    q = np.asarray(v0, float) ** 2 - np.asarray(w0_norm, float) ** 2
    r2 = 1.0 + q / np.asarray(w_norm, float) ** 2
    return np.sqrt(np.where(r2 >= 0, r2, np.nan))
