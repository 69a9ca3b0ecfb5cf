/** A ChatML Jinja chat template; node-llama-cpp recognises it and uses its ChatML wrapper. */
export const chatmlTemplate =
  "{% for message in messages %}" +
  "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
  "{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
