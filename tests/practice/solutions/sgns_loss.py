import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sgns(v, u_pos, u_neg):
    n = v.shape[0]
    s_pos = (u_pos * v).sum(-1)
    s_neg = np.einsum("nkd,nd->nk", u_neg, v)
    loss = np.mean(np.logaddexp(0.0, -s_pos)) + np.mean(np.logaddexp(0.0, s_neg).sum(-1))
    g_pos = (_sigmoid(s_pos) - 1.0) / n          # dL/ds_pos
    g_neg = _sigmoid(s_neg) / n                  # dL/ds_neg
    dv = g_pos[:, None] * u_pos + np.einsum("nk,nkd->nd", g_neg, u_neg)
    return float(loss), dv, g_pos[:, None] * v, g_neg[..., None] * v[:, None, :]
