"""The fixed set of topics a question may belong to, in reading order, with zh/en labels."""

TOPICS: dict[str, tuple[str, str]] = {
    "foundations-math": ("数学基础", "Mathematical foundations"),
    "probability-info": ("概率与信息论", "Probability and information theory"),
    "numerical": ("数值计算", "Numerical computation"),
    "ml-basics": ("机器学习基础", "Machine-learning basics"),
    "feedforward-backprop": ("前馈网络与反向传播", "Feed-forward networks and backprop"),
    "activations": ("激活函数", "Activation functions"),
    "regularization": ("正则化", "Regularization"),
    "optimization": ("优化", "Optimization"),
    "initialization": ("参数初始化", "Initialization"),
    "normalization": ("归一化", "Normalization"),
    "cnn": ("卷积网络", "Convolutional networks"),
    "rnn": ("循环网络", "Recurrent networks"),
    "attention-transformers": ("注意力与 Transformer", "Attention and transformers"),
    "generative": ("生成模型", "Generative models"),
    "representation": ("表示学习", "Representation learning"),
    "probabilistic-models": ("概率图模型", "Probabilistic models"),
    "sampling": ("采样与蒙特卡洛", "Sampling and Monte Carlo"),
    "nlp": ("自然语言处理", "Natural language processing"),
    "practice-tuning": ("实践与调参", "Practice and tuning"),
    "data": ("数据", "Data"),
}


def topic_label(topic: str, lang: str) -> str:
    zh, en = TOPICS[topic]
    return zh if lang == "zh" else en
