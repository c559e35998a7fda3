import numpy as np


def viterbi(log_start, log_trans, log_emit):
    T, K = log_emit.shape
    delta = log_start + log_emit[0]
    back = np.zeros((T, K), dtype=int)
    for t in range(1, T):
        cand = delta[:, None] + log_trans
        back[t] = cand.argmax(0)
        delta = cand.max(0) + log_emit[t]
    path = [int(delta.argmax())]
    for t in range(T - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return np.array(path[::-1])
